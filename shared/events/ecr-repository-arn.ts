import { isEcrRepositoryName } from "./field-schemas.ts";

export interface EcrRepositoryArn {
  partition: string;
  region: string;
  registryId: string;
  repository: string;
}

const ARN_RE =
  /^arn:(aws(?:-[a-z]+)*):ecr:([a-z]{2}(?:-[a-z]+)+-\d{1,2}):(\d{12}):repository\/(.+)$/;

/** `arn:aws:ecr:us-east-2:123456789012:repository/team/app` → its parts; null if not one. */
export function parseEcrRepositoryArn(arn: string): EcrRepositoryArn | null {
  if (arn.length > 400) return null;
  const m = ARN_RE.exec(arn);
  if (!m) return null;
  const [, partition, region, registryId, repository] = m;
  if (!partition || !region || !registryId || !repository || !isEcrRepositoryName(repository)) {
    return null;
  }
  return { partition, region, registryId, repository };
}
