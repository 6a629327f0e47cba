// Writes OCI image layout directories (image-spec image-layout.md) for tests: the `oci-layout`
// marker, index.json and blobs/sha256/<hex>, as `cosign save`, ORAS and skopeo write them.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { BlobStore } from "./cosign-vectors.ts";

export const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
export const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
export const REF_NAME = "org.opencontainers.image.ref.name";

/** An index.json entry for a manifest, with its annotations (a tag: REF_NAME). */
export function layoutEntry(
  m: { bytes: Buffer; digest: string },
  annotations?: Record<string, string>,
  extra: Record<string, unknown> = {},
) {
  return {
    mediaType: OCI_MANIFEST,
    digest: m.digest,
    size: m.bytes.length,
    ...extra,
    ...(annotations ? { annotations } : {}),
  };
}

/** Every blob of `store` under blobs/sha256, and index.json listing `manifests`. */
export async function writeLayout(dir: string, store: BlobStore, manifests: object[]) {
  await mkdir(join(dir, "blobs", "sha256"), { recursive: true });
  for (const [digest, bytes] of store.blobs) {
    await writeFile(join(dir, "blobs", "sha256", digest.slice("sha256:".length)), bytes);
  }
  await writeFile(join(dir, "oci-layout"), '{"imageLayoutVersion":"1.0.0"}');
  await writeFile(
    join(dir, "index.json"),
    JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests }),
  );
}
