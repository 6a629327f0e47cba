import type { Log } from "../../ports.ts";
import type { OciClient } from "./oci-client.ts";
import { contentOf, copyImage } from "./oci-copy-image.ts";
import { OciRegistryError } from "./oci-errors.ts";
import { tagsPointingAt } from "./oci-image-tags.ts";
import { deleteManifest, getManifest, type Manifest } from "./oci-manifest.ts";
import { isIndexMediaType } from "./oci-manifest-content.ts";

export interface ImageMove {
  digest: string;
  from: string;
  to: string;
  /** Tags the caller believes the image has: looked up first. */
  expectedTags?: string[];
  maxTagLookups?: number;
  /** Whether one of the image's tags may be pointed at it in `to`. Default: every tag. */
  mayTag?: (tag: string) => Promise<boolean>;
  log?: Log;
}

export interface MoveResult {
  /**
   * moved: the image was in `from` and now is in `to` only; finished: an interrupted move's
   * last step (an index's children left in `from`) was done; already: the image was in `to`
   * only; missing: in neither.
   */
  outcome: "moved" | "finished" | "already" | "missing";
  /** Tags pointed at the image in `to`. */
  tags: string[];
  /** Tags of the image that `mayTag` refused. */
  skippedTags: string[];
}

/**
 * Moves an image between two repositories of one registry: copy (blobs mounted, children first,
 * tags too), read the copy back, then delete the original by digest (its tags go with it) and,
 * for an index, its child manifests. The state is read from the registry on every call, never
 * remembered, so a move interrupted at any step completes when called again; a move already
 * complete changes nothing.
 */
export async function moveImage(client: OciClient, m: ImageMove): Promise<MoveResult> {
  const original = await getManifest(client, m.from, m.digest);
  if (!original) {
    const copy = await getManifest(client, m.to, m.digest);
    if (!copy) return { outcome: "missing", tags: [], skippedTags: [] };
    const removed = await deleteChildren(client, m.from, copy);
    if (removed > 0) {
      m.log?.info("finished an interrupted move: removed child manifests left behind", {
        from: m.from,
        digest: m.digest,
        removed,
      });
    }
    return { outcome: removed > 0 ? "finished" : "already", tags: [], skippedTags: [] };
  }

  const found = await tagsPointingAt(client, m.from, m.digest, {
    ...(m.expectedTags ? { expected: m.expectedTags } : {}),
    ...(m.maxTagLookups !== undefined ? { maxLookups: m.maxTagLookups } : {}),
  });
  if (!found.complete) {
    m.log?.warn("repository has more tags than were looked up; some tags may not move", {
      repository: m.from,
      digest: m.digest,
    });
  }
  const tags: string[] = [];
  const skippedTags: string[] = [];
  for (const tag of found.tags) {
    if (!m.mayTag || (await m.mayTag(tag))) tags.push(tag);
    else skippedTags.push(tag);
  }
  const stats = await copyImage(client, { from: m.from, to: m.to, manifest: original, tags });

  // The original goes only once its copy reads back under the same digest.
  if (!(await getManifest(client, m.to, m.digest))) {
    throw new OciRegistryError(
      "OCI_REQUEST_FAILED",
      "MoveImage",
      client.target({ repository: m.to, reference: m.digest }),
      `the copy cannot be read back after it was written; the original in ${m.from} was left in place`,
    );
  }
  await deleteManifest(client, m.from, m.digest);
  await deleteChildren(client, m.from, original);
  m.log?.debug("moved image", { from: m.from, to: m.to, digest: m.digest, tags, ...stats });
  return { outcome: "moved", tags, skippedTags };
}

/**
 * Deletes an index's child manifests from `repository` (nested indexes depth first); 0 for an
 * image. A child that another index of the repository also lists goes too: it is the same
 * content, and leaving it would keep it pullable by digest.
 */
async function deleteChildren(
  client: OciClient,
  repository: string,
  parent: Manifest,
): Promise<number> {
  if (!isIndexMediaType(parent.mediaType)) return 0;
  const content = contentOf(client, repository, parent);
  if (content.kind !== "index") return 0;
  let removed = 0;
  for (const child of content.manifests) {
    if (isIndexMediaType(child.mediaType)) {
      const nested = await getManifest(client, repository, child.digest);
      if (nested) removed += await deleteChildren(client, repository, nested);
    }
    if (await deleteManifest(client, repository, child.digest)) removed++;
  }
  return removed;
}
