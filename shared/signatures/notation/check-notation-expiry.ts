import { failure, type SignatureFailure } from "../signature-failure.ts";
import type { NotationEnvelope } from "./notation-envelope.ts";

/** `io.cncf.notary.expiry`, the signer's "best by" time: past it the signature no longer counts. */
export function checkNotationExpiry(env: NotationEnvelope, now: Date): SignatureFailure | null {
  if (!env.expiry || env.expiry.getTime() > now.getTime()) return null;
  return failure(
    "NOTATION_SIGNATURE_EXPIRED",
    `the signature expired at ${env.expiry.toISOString()} (io.cncf.notary.expiry)`,
  );
}
