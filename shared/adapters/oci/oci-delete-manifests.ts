import { DIGEST_RE } from "../../domain/image.ts";
import type { Log } from "../../ports.ts";
import type { DeletionResult } from "../../retention/retention-ports.ts";
import type { OciClient } from "./oci-client.ts";
import { OciRegistryError, type OciRegistryErrorCode } from "./oci-errors.ts";
import { deleteManifest } from "./oci-manifest.ts";

/**
 * Failures no other digest would escape: deletes disabled (405), credentials, permissions, an
 * unreachable registry. They stop the run, naming what to fix; anything else is one digest's.
 */
const FATAL: ReadonlySet<OciRegistryErrorCode> = new Set([
  "OCI_DELETE_UNSUPPORTED",
  "OCI_AUTH_FAILED",
  "OCI_ACCESS_DENIED",
  "OCI_UNREACHABLE",
  "OCI_TLS_FAILED",
  "OCI_INVALID_CONFIG",
]);

/**
 * Deletes manifests by digest (`DELETE /v2/<name>/manifests/<digest>`), one at a time in the
 * order given. Sequential on purpose: the caller orders an index before its children and a
 * subject before its referrers, and only the caller knows where that order matters; parallel
 * repositories (the caller's concurrency) give the throughput.
 *
 * 202 is deleted, 404 already gone (a resumed run). Throttling and 5xx are retried with backoff
 * by the HTTP layer (HttpRetry); a digest still failing after that is reported as failed. A 405
 * means the registry refuses every delete: OciRegistryError OCI_DELETE_UNSUPPORTED is thrown,
 * telling the operator to set `storage.delete.enabled: true` (distribution) or grant delete.
 *
 * On distribution a deleted manifest takes its tags with it, but its blobs stay on disk: only the
 * registry's own `registry garbage-collect <config>` (run offline or read-only) reclaims them.
 */
export async function deleteManifests(
  client: OciClient,
  repository: string,
  digests: readonly string[],
  onDeleted?: (result: DeletionResult) => void,
  log?: Log,
): Promise<DeletionResult[]> {
  const results: DeletionResult[] = [];
  for (const digest of digests) {
    const result = await deleteOne(client, repository, digest);
    if (result.outcome === "failed") {
      log?.warn("retention: manifest not deleted", { repository, ...result });
    }
    results.push(result);
    onDeleted?.(result);
  }
  return results;
}

async function deleteOne(
  client: OciClient,
  repository: string,
  digest: string,
): Promise<DeletionResult> {
  // A digest is part of the request path: anything but sha256:<hex> is refused unsent.
  if (!DIGEST_RE.test(digest)) {
    return {
      digest,
      outcome: "failed",
      code: "DIGEST_INVALID",
      message: "not a sha256 digest (sha256:<64 hex>); nothing was sent",
    };
  }
  try {
    const deleted = await deleteManifest(client, repository, digest);
    return { digest, outcome: deleted ? "deleted" : "already-gone" };
  } catch (err) {
    if (!(err instanceof OciRegistryError) || FATAL.has(err.code)) throw err;
    return {
      digest,
      outcome: "failed",
      code: err.status !== undefined ? `HTTP ${err.status}` : err.code,
      message: err.message,
    };
  }
}
