import { imageKey, repositoryKey } from "../shared/domain/image.ts";
import { callerIdentity } from "./caller-identity.ts";
import type { ImageTarget, RepositoryTarget } from "./image-reference.ts";

/**
 * The audit key of a parsed image or repository. A plain name without --registry-id belongs to
 * the caller's own account (STS), as it would for the AWS CLI.
 */
async function registryIdOf(
  target: { registryId?: string },
  region: string | undefined,
): Promise<string> {
  return target.registryId ?? (await callerIdentity(region)).account;
}

export async function imageKeyOf(target: ImageTarget, region?: string): Promise<string> {
  return imageKey({ ...target, registryId: await registryIdOf(target, region) });
}

export async function repositoryKeyOf(target: RepositoryTarget, region?: string): Promise<string> {
  return repositoryKey({ ...target, registryId: await registryIdOf(target, region) });
}
