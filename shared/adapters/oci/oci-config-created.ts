import { readBlob } from "./oci-blob.ts";
import type { OciClient } from "./oci-client.ts";
import type { Descriptor } from "./oci-manifest-content.ts";

/** Image configs are a few KB; one with a long history stays far below this. */
export const MAX_CONFIG_BYTES = 256 * 1024;

/**
 * Reproducible builds stamp `created` with the epoch (ko, bazel, nix) and cosign with year 1:
 * such a time says nothing of the push, and would make the image look ancient to age rules.
 */
const EARLIEST_PLAUSIBLE = Date.parse("2000-01-01T00:00:00Z");

/**
 * The image config's `created` time (ISO), the fallback push time when no audit trail records
 * one. It is the build time, so never later than the push: an age rule reading it can only find
 * an image older than it is. Undefined when the config is missing, too large, not JSON, or its
 * time is implausible; a config whose bytes do not hash to its digest is refused (readBlob).
 */
export async function configCreated(
  client: OciClient,
  repository: string,
  config: Descriptor,
): Promise<string | undefined> {
  // Oversized or unverifiable configs give no time rather than a failed inventory.
  if (!config.digest.startsWith("sha256:") || config.size > MAX_CONFIG_BYTES) return undefined;
  const bytes = await readBlob(client, repository, config, MAX_CONFIG_BYTES);
  if (!bytes) return undefined;
  let created: unknown;
  try {
    created = (JSON.parse(bytes.toString("utf8")) as { created?: unknown }).created;
  } catch {
    return undefined;
  }
  if (typeof created !== "string") return undefined;
  const at = Date.parse(created);
  if (Number.isNaN(at) || at < EARLIEST_PLAUSIBLE) return undefined;
  return new Date(at).toISOString();
}
