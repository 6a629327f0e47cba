import type { SignatureCandidate } from "./signature-candidate.ts";
import { failure, type SignatureFailure } from "./signature-failure.ts";
import {
  COSIGN_SIGNATURE_ARTIFACT_TYPE,
  SIGSTORE_BUNDLE_V03_MEDIA_TYPES,
  SIMPLESIGNING_MEDIA_TYPE,
} from "./signature-formats.ts";
import type { SignatureSource } from "./signature-source.ts";

/** How a layer of this media type, from this source, is read; null when it is no signature. */
export function signatureLayerKind(
  source: SignatureSource,
  mediaType: string | undefined,
): "simplesigning" | "bundle" | null {
  if (mediaType === SIMPLESIGNING_MEDIA_TYPE) {
    // Simple signing lives under the .sig tag, or in cosign's experimental OCI 1.1 referrer.
    const ok =
      source.kind === "legacy-tag" || source.artifactType === COSIGN_SIGNATURE_ARTIFACT_TYPE;
    return ok ? "simplesigning" : null;
  }
  if (mediaType !== undefined && SIGSTORE_BUNDLE_V03_MEDIA_TYPES.includes(mediaType)) {
    return source.kind === "referrer" ? "bundle" : null;
  }
  return null;
}

/**
 * Step: the layer's media type is a signature's for where it was found: simple signing under the
 * `.sig` tag, a Sigstore bundle v0.3 among referrers. Anything else (an SBOM, an attestation, a
 * scan report attached to the image) is not a signature, whoever signed it.
 */
export function checkMediaType(candidate: SignatureCandidate): SignatureFailure | null {
  const kind = signatureLayerKind(candidate.source, candidate.mediaType);
  const expected = candidate.format === "simplesigning" ? "simplesigning" : "bundle";
  if (kind !== null && kind === expected) return null;
  return failure(
    "MEDIA_TYPE_NOT_SIGNATURE",
    `${candidate.mediaType ?? "a layer without media type"} in a ${candidate.source.kind === "legacy-tag" ? ".sig tag manifest" : "referrer"} is not a signature ` +
      `(expected ${candidate.source.kind === "legacy-tag" ? SIMPLESIGNING_MEDIA_TYPE : SIGSTORE_BUNDLE_V03_MEDIA_TYPES[0]})`,
  );
}
