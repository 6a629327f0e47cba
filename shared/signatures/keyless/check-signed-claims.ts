import type {
  DsseCandidate,
  MessageSignatureCandidate,
  SimpleSigningCandidate,
} from "../signature-candidate.ts";
import type { SignatureFailure } from "../signature-failure.ts";
import {
  type ClaimsContext,
  dsseClaims,
  messageSignatureClaims,
  simpleSigningClaims,
} from "../verify-candidate.ts";

/**
 * The key-based path's claim steps, the very same sequences, run once the certificate's key
 * vouched for the bytes: a keyless signature must say what a key-based one says (this digest, a
 * cosign signature, this repository when asked). Null when every claim holds.
 */
export function checkSignedClaims(
  c: SimpleSigningCandidate | DsseCandidate | MessageSignatureCandidate,
  ctx: ClaimsContext,
): SignatureFailure | null {
  switch (c.format) {
    case "simplesigning":
      return simpleSigningClaims(c.payload, ctx);
    case "dsse":
      return dsseClaims(c, ctx);
    case "message-signature":
      return messageSignatureClaims(ctx);
  }
}
