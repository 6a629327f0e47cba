import { DIGEST_RE } from "../../domain/image.ts";
import {
  COSIGN_SIGNATURE_ARTIFACT_TYPE,
  SIGSTORE_BUNDLE_V03_MEDIA_TYPES,
} from "../signature-formats.ts";

/** cosign's tag for an image's legacy signatures: `sha256:<hex>` → `sha256-<hex>.sig`. */
export function signatureTag(imageDigest: string): string {
  return `${imageDigest.replace(":", "-")}.sig`;
}

/**
 * Referrer artifact types that hold cosign signatures: a Sigstore bundle v0.3 (`cosign sign
 * --new-bundle-format`) and cosign's experimental OCI 1.1 simple-signing referrer. Everything else
 * attached to an image (SBOMs, scan reports, attestations, Notation signatures) is not fetched.
 */
export const SIGNATURE_ARTIFACT_TYPES: readonly string[] = [
  ...SIGSTORE_BUNDLE_V03_MEDIA_TYPES,
  COSIGN_SIGNATURE_ARTIFACT_TYPE,
];

export function isSignatureArtifactType(artifactType: string | undefined): boolean {
  return artifactType !== undefined && SIGNATURE_ARTIFACT_TYPES.includes(artifactType);
}

/** Signature referrers only, sha256 ones (nothing else can be verified), each once. */
export function signatureDigests(
  listed: readonly { digest?: string; artifactType?: string }[],
): string[] {
  const out = new Set<string>();
  for (const d of listed) {
    if (d.digest && DIGEST_RE.test(d.digest) && isSignatureArtifactType(d.artifactType)) {
      out.add(d.digest);
    }
  }
  return [...out];
}
