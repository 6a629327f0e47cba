import * as z from "zod";
import { DIGEST_RE } from "../../domain/image.ts";
import { checkPayloadSize } from "../check-payload-size.ts";
import type { FetchBlob } from "../fetch-blob.ts";
import { sha256Digest } from "../sha256-digest.ts";
import type { RejectedCandidate } from "../signature-candidate.ts";
import { failure, type SignatureFailure } from "../signature-failure.ts";
import { resolveLimits, type SignatureLimits } from "../signature-limits.ts";
import type { SignatureSource } from "../signature-source.ts";
import type { NotationCandidate } from "./notation-candidate.ts";
import { NOTATION_ARTIFACT_TYPE, NOTATION_ENVELOPE_MEDIA_TYPES } from "./notation-formats.ts";

const manifestSchema = z.object({
  schemaVersion: z.literal(2),
  artifactType: z.string().optional(),
  config: z.object({ mediaType: z.string() }).loose().optional(),
  layers: z.array(
    z.object({
      mediaType: z.string(),
      digest: z.string().regex(DIGEST_RE),
      size: z.number().int().nonnegative(),
    }),
  ),
  subject: z.object({ digest: z.string() }).loose().optional(),
});

export type NotationRead = NotationCandidate | RejectedCandidate;

/**
 * A Notation signature manifest (an OCI 1.1 referrer of artifactType
 * application/vnd.cncf.notary.signature) into its one envelope: exactly one layer of media type
 * application/jose+json or application/cose, within the bundle size limit, its blob hashing to the
 * layer digest. Refusals are rejected candidates, so the report shows what was looked at.
 */
export async function readNotationManifest(input: {
  manifest: Uint8Array;
  manifestDigest: string;
  fetchBlob: FetchBlob;
  limits?: Partial<SignatureLimits>;
}): Promise<NotationRead> {
  const limits = resolveLimits(input.limits);
  const source: SignatureSource = {
    kind: "referrer",
    manifestDigest: input.manifestDigest,
    artifactType: NOTATION_ARTIFACT_TYPE,
  };
  const refuse = (
    f: SignatureFailure,
    more: Partial<NotationCandidate> = {},
  ): RejectedCandidate => ({
    source,
    size: input.manifest.length,
    ...more,
    format: "rejected",
    failure: f,
  });
  if (input.manifest.length > limits.maxManifestBytes) {
    return refuse(
      failure(
        "MANIFEST_TOO_LARGE",
        `the signature manifest is ${input.manifest.length} bytes, above the ${limits.maxManifestBytes}-byte limit`,
      ),
    );
  }
  const computed = sha256Digest(input.manifest);
  if (computed !== input.manifestDigest) {
    return refuse(
      failure(
        "BLOB_DIGEST_MISMATCH",
        `the signature manifest hashes to ${computed}, not ${input.manifestDigest}`,
      ),
    );
  }
  let parsed: z.infer<typeof manifestSchema>;
  try {
    parsed = manifestSchema.parse(JSON.parse(Buffer.from(input.manifest).toString("utf8")));
  } catch {
    return refuse(
      failure("MANIFEST_MALFORMED", "the Notation signature manifest is not an OCI image manifest"),
    );
  }
  if ((parsed.artifactType ?? parsed.config?.mediaType) !== NOTATION_ARTIFACT_TYPE) {
    return refuse(
      failure(
        "MEDIA_TYPE_NOT_SIGNATURE",
        `the referrer's artifactType is not ${NOTATION_ARTIFACT_TYPE}`,
      ),
    );
  }
  const layer = parsed.layers[0];
  if (!layer || parsed.layers.length !== 1) {
    return refuse(
      failure(
        "MANIFEST_MALFORMED",
        `a Notation signature manifest has exactly one layer, not ${parsed.layers.length}`,
      ),
    );
  }
  const origin = {
    source: { ...source, ...(parsed.subject ? { subjectDigest: parsed.subject.digest } : {}) },
    layerIndex: 0,
    layerDigest: layer.digest,
    mediaType: layer.mediaType,
    size: layer.size,
  };
  if (!NOTATION_ENVELOPE_MEDIA_TYPES.includes(layer.mediaType)) {
    return {
      ...origin,
      format: "rejected",
      failure: failure(
        "MEDIA_TYPE_NOT_SIGNATURE",
        `${layer.mediaType} is not a Notation envelope (${NOTATION_ENVELOPE_MEDIA_TYPES.join(" or ")})`,
      ),
    };
  }
  const declared = checkPayloadSize(layer.size, limits.maxBundleBytes, "Notation envelope");
  if (declared) return { ...origin, format: "rejected", failure: declared };
  const blob = await input.fetchBlob(layer.digest, limits.maxBundleBytes);
  const fetched = { ...origin, size: blob.length };
  const tooBig = checkPayloadSize(blob.length, limits.maxBundleBytes, "Notation envelope");
  if (tooBig) return { ...fetched, format: "rejected", failure: tooBig };
  const blobDigest = sha256Digest(blob);
  if (blobDigest !== layer.digest) {
    return {
      ...fetched,
      format: "rejected",
      failure: failure(
        "BLOB_DIGEST_MISMATCH",
        `the blob served for ${layer.digest} hashes to ${blobDigest}`,
      ),
    };
  }
  return { ...fetched, format: "notation", mediaType: layer.mediaType, envelope: blob };
}

/** Notation signature referrers only, sha256 ones, each once, in listing order. */
export function notationDigests(
  listed: readonly { digest?: string; artifactType?: string }[],
): string[] {
  const out = new Set<string>();
  for (const d of listed) {
    if (d.digest && DIGEST_RE.test(d.digest) && d.artifactType === NOTATION_ARTIFACT_TYPE)
      out.add(d.digest);
  }
  return [...out];
}

/**
 * Reads the manifests (bytes from `load`, null when gone) into candidates; at most
 * `maxCandidates` are fetched, the rest reported as one rejected candidate.
 */
export async function readNotationManifests(input: {
  digests: readonly string[];
  load: (digests: readonly string[]) => Promise<(Uint8Array | null)[]>;
  fetchBlob: FetchBlob;
  limits?: Partial<SignatureLimits>;
}): Promise<NotationRead[]> {
  const limits = resolveLimits(input.limits);
  const read = input.digests.slice(0, limits.maxCandidates);
  const skipped = input.digests.slice(limits.maxCandidates);
  const bytes = read.length > 0 ? await input.load(read) : [];
  const out: NotationRead[] = [];
  for (const [i, manifestDigest] of read.entries()) {
    const manifest = bytes[i];
    if (!manifest) continue;
    out.push(
      await readNotationManifest({ manifest, manifestDigest, fetchBlob: input.fetchBlob, limits }),
    );
  }
  const first = skipped[0];
  if (first) {
    out.push({
      source: { kind: "referrer", manifestDigest: first, artifactType: NOTATION_ARTIFACT_TYPE },
      format: "rejected",
      failure: failure(
        "TOO_MANY_SIGNATURES",
        `${skipped.length} more Notation signature manifest(s) not read: only the first ${limits.maxCandidates} of an image are`,
      ),
    });
  }
  return out;
}
