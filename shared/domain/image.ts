/** Which family of registry an image lives in; each has its own adapter behind the Registry port. */
export type RegistryKind = "ecr" | "oci";

/** An image as registry-guard addresses it: always by digest, tags are informational. */
export interface ImageRef {
  registry: RegistryKind;
  /** ECR: the 12-digit registry (account) id; OCI: the registry host. */
  registryId: string;
  /** ECR only. */
  region?: string;
  repository: string;
  /** sha256:<64 hex>. */
  digest: string;
  tags: string[];
}

export const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;

/** The stable key of an image: one audit chain per image key. */
export function imageKey(ref: Pick<ImageRef, "registry" | "registryId" | "repository" | "digest">) {
  return `${ref.registry}:${ref.registryId}/${ref.repository}@${ref.digest}`;
}

export function repositoryKey(ref: Pick<ImageRef, "registry" | "registryId" | "repository">) {
  return `${ref.registry}:${ref.registryId}/${ref.repository}`;
}
