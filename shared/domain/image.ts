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

/** Inverse of imageKey; null when the key is not one. */
export function parseImageKey(key: string): Omit<ImageRef, "tags" | "region"> | null {
  const m = /^(ecr|oci):([^/]+)\/(.+)@(sha256:[a-f0-9]{64})$/.exec(key);
  if (!m) return null;
  return {
    registry: m[1] as RegistryKind,
    registryId: m[2] as string,
    repository: m[3] as string,
    digest: m[4] as string,
  };
}
