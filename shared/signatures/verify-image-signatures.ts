import type { SignatureCandidate } from "./signature-candidate.ts";
import { SignatureInputError } from "./signature-input-error.ts";
import type { SignatureLimits } from "./signature-limits.ts";
import type { TrustedKey } from "./trusted-key.ts";
import { baseCandidateContext, tryCandidates } from "./try-candidates.ts";
import { type KeyVerificationResult, verifyingKey } from "./verification-result.ts";
import { type CandidateContext, verifyCandidate } from "./verify-candidate.ts";

export interface VerifyOptions {
  /** Require the signed reference to name this repository (stops cross-repository replay). */
  matchReference?: boolean;
  /** In-toto predicate types a DSSE bundle may carry; default cosign sign's own; "any" like cosign. */
  acceptedPredicateTypes?: readonly string[] | "any";
  limits?: Partial<SignatureLimits>;
}

export interface VerifyImageSignaturesInput {
  /** Digest computed from the image manifest bytes the pipeline fetched. */
  imageDigest: string;
  /** Repository path as the registry names it. */
  repository: string;
  /** Registry host; when given, `matchReference` compares it too. */
  registry?: string;
  /** The image manifest bytes; needed only to check message-signature bundles. */
  imageManifest?: Uint8Array;
  candidates: readonly SignatureCandidate[];
  /** The policy's trusted keys, imported once (loadPublicKey / loadKmsPublicKey). */
  keys: readonly TrustedKey[];
  options?: VerifyOptions;
}

/**
 * Key-based cosign verification of one image: any single candidate that passes every step with a
 * trusted key verifies the image, and the result names that key; otherwise the result lists each
 * candidate tried with the step that refused it. Pure: no I/O, no clock (key-based signatures do
 * not expire). At most `limits.maxCandidates` are tried; the rest are listed as not tried.
 */
export function verifyImageSignatures(input: VerifyImageSignaturesInput): KeyVerificationResult {
  const ctx: CandidateContext = {
    ...baseCandidateContext(input, () => {
      if (input.keys.length === 0) {
        throw new SignatureInputError("no trusted keys: give at least one public key or KMS key");
      }
    }),
    keys: input.keys,
  };
  return tryCandidates(input.imageDigest, input.candidates, ctx.limits.maxCandidates, (c) => {
    const outcome = verifyCandidate(c, ctx);
    return "code" in outcome ? outcome : { key: verifyingKey(outcome) };
  });
}
