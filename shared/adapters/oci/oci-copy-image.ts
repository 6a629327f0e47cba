import { type BlobTransfer, ensureBlob } from "./oci-blob-mount.ts";
import type { OciClient } from "./oci-client.ts";
import { OciRegistryError } from "./oci-errors.ts";
import { getManifest, type Manifest, putManifest } from "./oci-manifest.ts";
import { blobsOf, type ManifestContent, parseManifestContent } from "./oci-manifest-content.ts";

export interface ImageCopy {
  from: string;
  to: string;
  /** The manifest as fetched (digest verified) from `from` or, when resuming, from `to`. */
  manifest: Manifest;
  /** Tags to point at the copy in `to`. */
  tags: string[];
}

export type CopyStats = Record<BlobTransfer, number>;

/** An index of indexes of indexes is not an image anyone pushes. */
const MAX_DEPTH = 3;

/**
 * Makes `to` hold the manifest, byte for byte under the same digest, with `tags`: for an image,
 * its blobs first (cross-repository mounts, so nothing is re-uploaded); for an index, every child
 * manifest first (registries refuse an index whose children are missing). Every step is a no-op
 * when already done, so a copy interrupted anywhere completes when run again.
 */
export async function copyImage(client: OciClient, c: ImageCopy): Promise<CopyStats> {
  const stats: CopyStats = { present: 0, mounted: 0, copied: 0 };
  await copyManifest(client, c, stats, 0);
  for (const tag of c.tags) await putManifest(client, c.to, tag, c.manifest);
  return stats;
}

export function contentOf(client: OciClient, repository: string, m: Manifest): ManifestContent {
  const where = { ...client.target({ repository, reference: m.digest }), operation: "CopyImage" };
  return parseManifestContent(m.bytes, m.mediaType, where);
}

async function copyManifest(
  client: OciClient,
  c: Omit<ImageCopy, "tags">,
  stats: CopyStats,
  depth: number,
): Promise<void> {
  const content = contentOf(client, c.from, c.manifest);
  if (content.kind === "image") {
    for (const blob of blobsOf(content)) {
      stats[await ensureBlob(client, { from: c.from, to: c.to, blob })]++;
    }
  } else {
    if (depth >= MAX_DEPTH) {
      throw new OciRegistryError(
        "OCI_UNSUPPORTED_MANIFEST",
        "CopyImage",
        client.target({ repository: c.from, reference: c.manifest.digest }),
        `indexes nested deeper than ${MAX_DEPTH} levels`,
      );
    }
    for (const child of content.manifests) {
      // Already in `to`: a resumed copy, or an earlier move of the same child.
      if (await getManifest(client, c.to, child.digest)) continue;
      const m = await getManifest(client, c.from, child.digest);
      if (!m) {
        throw new OciRegistryError(
          "OCI_IMAGE_NOT_FOUND",
          "CopyImage",
          client.target({ repository: c.from, reference: child.digest }),
          `the index ${c.manifest.digest} lists a child manifest that is in neither ${c.from} nor ${c.to}`,
        );
      }
      await copyManifest(client, { ...c, manifest: m }, stats, depth + 1);
    }
  }
  await putManifest(client, c.to, c.manifest.digest, c.manifest);
}
