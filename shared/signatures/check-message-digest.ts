import { failure, type SignatureFailure } from "./signature-failure.ts";

/**
 * Step (message signature): the bundle's messageDigest names the image, i.e. SHA2_256 and equal
 * to the sha256 of the manifest bytes. The spec makes the digest identification only, so the
 * signature is still verified over the manifest bytes themselves; this step stops a bundle
 * written for another artifact from being read as this image's.
 */
export function checkMessageDigest(
  messageDigest: { algorithm: string; digest: Uint8Array } | undefined,
  imageDigest: string,
): SignatureFailure | null {
  if (!messageDigest) {
    return failure("MESSAGE_DIGEST_MISMATCH", "the message signature names no messageDigest");
  }
  if (messageDigest.algorithm !== "SHA2_256") {
    return failure(
      "MESSAGE_DIGEST_MISMATCH",
      `messageDigest uses ${messageDigest.algorithm}; an image is named by SHA2_256`,
    );
  }
  const named = `sha256:${Buffer.from(messageDigest.digest).toString("hex")}`;
  if (named === imageDigest) return null;
  return failure("MESSAGE_DIGEST_MISMATCH", `the bundle signs ${named}, not ${imageDigest}`);
}
