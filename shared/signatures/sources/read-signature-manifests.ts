import { mapLimit } from "../../concurrency/map-limit.ts";
import type { FetchBlob } from "../fetch-blob.ts";
import { readSignatureManifest } from "../read-signature-manifest.ts";
import { sha256Digest } from "../sha256-digest.ts";
import type { SignatureCandidate } from "../signature-candidate.ts";
import { failure } from "../signature-failure.ts";
import { resolveLimits, type SignatureLimits } from "../signature-limits.ts";
import type { SignatureSource } from "../signature-source.ts";

/** A signature manifest a source knows of, before its bytes are fetched. */
export type SignatureManifestLead =
  | {
      kind: "legacy-tag";
      tag?: string;
      /** Known when the store lists it (an OCI layout); otherwise computed from the bytes. */
      digest?: string;
    }
  | { kind: "referrer"; digest: string };

export interface ReadSignatureManifestsInput<L extends SignatureManifestLead> {
  leads: readonly L[];
  /**
   * The manifests' bytes as stored, in the order asked (null: gone since it was listed). Called
   * once, with only the leads that will be read, so a store can batch the fetches.
   */
  load: (leads: readonly L[]) => Promise<(Uint8Array | null)[]>;
  fetchBlob: FetchBlob;
  limits?: Partial<SignatureLimits>;
}

/** Manifests read at once: each fetches its own blobs a few at a time. */
const MANIFEST_CONCURRENCY = 2;

/**
 * Reads signature manifests into candidates with readSignatureManifest. Each manifest gives at
 * least one candidate and no more than `maxCandidates` are ever tried, so manifests past that
 * many are not fetched at all: they are reported as one rejected candidate, which keeps a flood
 * of pushed referrers from costing more than a bounded number of reads.
 */
export async function readSignatureManifests<L extends SignatureManifestLead>(
  input: ReadSignatureManifestsInput<L>,
): Promise<SignatureCandidate[]> {
  const limits = resolveLimits(input.limits);
  const read = input.leads.slice(0, limits.maxCandidates);
  const skipped = input.leads.slice(limits.maxCandidates);
  const manifests = read.length > 0 ? await input.load(read) : [];
  const perManifest = await mapLimit(read, MANIFEST_CONCURRENCY, async (lead, i) => {
    const bytes = manifests[i];
    if (!bytes) return [];
    return readSignatureManifest({
      manifest: bytes,
      source: sourceOf(lead, bytes),
      fetchBlob: input.fetchBlob,
      limits,
    });
  });
  const candidates = perManifest.flat();
  const first = skipped[0];
  if (first) {
    candidates.push({
      source: sourceOf(first, null),
      format: "rejected",
      failure: failure(
        "TOO_MANY_SIGNATURES",
        `${skipped.length} more signature manifest(s) not read: only the first ${limits.maxCandidates} of an image are`,
      ),
    });
  }
  return candidates;
}

function sourceOf(lead: SignatureManifestLead, bytes: Uint8Array | null): SignatureSource {
  if (lead.kind === "referrer") return { kind: "referrer", manifestDigest: lead.digest };
  // A tag names no digest: the manifest's is the hash of what was served under it.
  const manifestDigest = lead.digest ?? (bytes ? sha256Digest(bytes) : "");
  return { kind: "legacy-tag", manifestDigest, ...(lead.tag ? { tag: lead.tag } : {}) };
}
