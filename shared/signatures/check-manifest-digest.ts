import { failure, type SignatureFailure } from "./signature-failure.ts";
import type { SimpleSigningPayload } from "./simplesigning-payload.ts";

/**
 * Step: the signed `critical.image.docker-manifest-digest` is the digest computed from the image
 * manifest bytes we fetched. Compared exactly, as cosign does: a signature for another image, or
 * a digest the registry merely reported, proves nothing about this one.
 */
export function checkManifestDigest(
  payload: SimpleSigningPayload,
  imageDigest: string,
): SignatureFailure | null {
  if (payload.dockerManifestDigest === imageDigest) return null;
  return failure(
    "DIGEST_MISMATCH",
    `the signature is for ${payload.dockerManifestDigest || "no digest"}, not for ${imageDigest}`,
  );
}
