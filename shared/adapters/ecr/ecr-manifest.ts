import { createHash } from "node:crypto";

/**
 * Every manifest type ECR stores. BatchGetImage converts a manifest whose type is not accepted
 * (e.g. Docker schema 2 down to schema 1), and a converted manifest hashes to another digest, so
 * we accept them all and always get the bytes as pushed.
 */
export const ACCEPTED_MANIFEST_MEDIA_TYPES = [
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.v2+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.docker.distribution.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.v1+prettyjws",
] as const;

/** sha256:<hex> of a manifest as BatchGetImage returns it: its UTF-8 bytes, unmodified. */
export function manifestDigest(manifest: string): string {
  return `sha256:${createHash("sha256").update(manifest, "utf8").digest("hex")}`;
}
