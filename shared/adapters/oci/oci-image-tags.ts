import { listTags } from "./oci-catalog.ts";
import type { OciClient } from "./oci-client.ts";
import { tagDigest } from "./oci-manifest.ts";

/**
 * Tags looked up at most per image. The distribution API has no "tags of a digest" call: each
 * tag costs a HEAD request, so a repository with thousands of tags would cost thousands.
 */
export const DEFAULT_MAX_TAG_LOOKUPS = 100;
/** HEAD requests in flight at once. */
const LOOKUP_CONCURRENCY = 8;

/** Tags of referrer artifacts (tag schema, cosign's .sig/.att/.sbom): never an image's tags. */
const ARTIFACT_TAG = /^sha(256|512)-[a-f0-9]{64,128}(\.(sig|att|sbom))?$/;

export interface ImageTags {
  tags: string[];
  /** False when the repository has more tags than were looked up: some may be missing. */
  complete: boolean;
}

/**
 * The tags of `repository` that point at `digest`. Tags the caller already expects (from the
 * event) are looked up first, then the rest in order, up to `maxLookups`.
 */
export async function tagsPointingAt(
  client: OciClient,
  repository: string,
  digest: string,
  opts: { expected?: string[]; maxLookups?: number } = {},
): Promise<ImageTags> {
  const max = opts.maxLookups ?? DEFAULT_MAX_TAG_LOOKUPS;
  const all = new Set(await listTags(client, repository));
  const expected = (opts.expected ?? []).filter((t) => all.has(t));
  const rest = [...all].filter((t) => !expected.includes(t) && !ARTIFACT_TAG.test(t)).sort();
  const candidates = [...new Set([...expected, ...rest])];
  const looked = candidates.slice(0, max);
  const digests = await mapLimit(looked, LOOKUP_CONCURRENCY, (t) =>
    tagDigest(client, repository, t),
  );
  const tags = looked.filter((_, i) => digests[i] === digest).sort();
  return { tags, complete: candidates.length <= max };
}

async function mapLimit<T, R>(items: T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
