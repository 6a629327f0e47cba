import { DIGEST_RE } from "../../domain/image.ts";
import type { RejectedCandidate } from "../signature-candidate.ts";
import { failure } from "../signature-failure.ts";
import { SignatureInputError } from "../signature-input-error.ts";
import { resolveLimits, type SignatureLimits } from "../signature-limits.ts";
import {
  type CandidateOutcome,
  type KeylessVerificationResult,
  type SignedByIdentity,
  summarize,
} from "../verification-result.ts";
import type { NotationCandidate } from "./notation-candidate.ts";
import type { NotationTrust } from "./notation-trust.ts";
import { verifyNotationCandidate } from "./verify-notation-candidate.ts";

export interface VerifyNotationInput {
  /** Digest computed from the image manifest bytes the pipeline fetched. */
  imageDigest: string;
  candidates: readonly (NotationCandidate | RejectedCandidate)[];
  trust: NotationTrust;
  /** The verification time: certificate validity (notary.x509 without timestamp) and expiry. */
  now: Date;
  limits?: Partial<SignatureLimits>;
}

/**
 * Notation (Notary Project) verification of one image: any single envelope that passes every
 * check verifies it, and the result names the signer (leaf subject and issuer, the trusted
 * identity that admitted it, the signing time) as a keyless result does. Pure: the clock is `now`.
 */
export function verifyNotation(input: VerifyNotationInput): KeylessVerificationResult {
  if (!DIGEST_RE.test(input.imageDigest)) {
    throw new SignatureInputError(`image digest ${input.imageDigest} is not sha256:<64 hex>`);
  }
  const { maxCandidates } = resolveLimits(input.limits);
  const tried: CandidateOutcome<SignedByIdentity>[] = [];
  for (const [i, c] of input.candidates.entries()) {
    const candidate = summarize(c);
    if (i >= maxCandidates) {
      tried.push({
        candidate,
        verified: false,
        failure: failure(
          "TOO_MANY_SIGNATURES",
          `not tried: only the first ${maxCandidates} signatures of an image are checked`,
        ),
      });
      continue;
    }
    if (c.format === "rejected") {
      tried.push({ candidate, verified: false, failure: c.failure });
      continue;
    }
    const outcome = verifyNotationCandidate(c, input.imageDigest, input.trust, input.now);
    if ("failure" in outcome) {
      tried.push({ candidate, verified: false, failure: outcome.failure });
      continue;
    }
    tried.push({ candidate, verified: true, identity: outcome.identity });
    return {
      verified: true,
      imageDigest: input.imageDigest,
      signature: candidate,
      tried,
      identity: outcome.identity,
    };
  }
  return {
    verified: false,
    imageDigest: input.imageDigest,
    reason: input.candidates.length === 0 ? "no-signatures" : "no-valid-signature",
    tried,
  };
}
