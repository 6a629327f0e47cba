import { checkMessageDigest } from "./check-message-digest.ts";
import type { MessageSignatureCandidate } from "./signature-candidate.ts";
import { failure, type SignatureFailure } from "./signature-failure.ts";

/**
 * What a message-signature bundle signs: the image manifest bytes, once the digest the bundle
 * names is the image's; or why the candidate is refused. Key-based and keyless alike.
 */
export function messageSignedBytes(
  c: MessageSignatureCandidate,
  ctx: { imageDigest: string; imageManifest?: Uint8Array },
): Uint8Array | SignatureFailure {
  if (!ctx.imageManifest) {
    return failure(
      "MESSAGE_UNAVAILABLE",
      "a message-signature bundle signs the image manifest bytes, and none were given to check it",
    );
  }
  return checkMessageDigest(c.messageDigest, ctx.imageDigest) ?? ctx.imageManifest;
}
