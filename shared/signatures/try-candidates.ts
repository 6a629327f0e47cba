import { DIGEST_RE } from "../domain/image.ts";
import type { ExpectedRepository } from "./check-docker-reference.ts";
import { sha256Digest } from "./sha256-digest.ts";
import type { SignatureCandidate } from "./signature-candidate.ts";
import { failure, type SignatureFailure } from "./signature-failure.ts";
import { COSIGN_SIGN_PREDICATE_TYPE } from "./signature-formats.ts";
import { SignatureInputError } from "./signature-input-error.ts";
import { resolveLimits } from "./signature-limits.ts";
import {
  type CandidateOutcome,
  type SignedBy,
  summarize,
  type VerificationResult,
} from "./verification-result.ts";
import type { BaseCandidateContext } from "./verify-candidate.ts";
import type { VerifyOptions } from "./verify-image-signatures.ts";

/** What key-based and keyless verification of one image are both given about the image. */
export interface ImageToVerify {
  imageDigest: string;
  repository: string;
  registry?: string;
  imageManifest?: Uint8Array;
  options?: VerifyOptions;
}

/**
 * Checks the input both verifications share and prepares what every candidate is checked
 * against. `checkTrust` runs after the digest check and before the others, so a bad input is
 * reported in the same order whatever is trusted.
 */
export function baseCandidateContext(
  input: ImageToVerify,
  checkTrust: () => void,
): BaseCandidateContext {
  if (!DIGEST_RE.test(input.imageDigest)) {
    throw new SignatureInputError(`image digest ${input.imageDigest} is not sha256:<64 hex>`);
  }
  checkTrust();
  const options = input.options ?? {};
  if (options.matchReference && !input.repository) {
    throw new SignatureInputError("matchReference needs the repository the image is in");
  }
  if (input.imageManifest && sha256Digest(input.imageManifest) !== input.imageDigest) {
    throw new SignatureInputError(
      `the image manifest bytes given hash to ${sha256Digest(input.imageManifest)}, not ${input.imageDigest}`,
    );
  }
  const expectedRepository: ExpectedRepository | null = options.matchReference
    ? {
        repository: input.repository,
        ...(input.registry !== undefined ? { registry: input.registry } : {}),
      }
    : null;
  return {
    imageDigest: input.imageDigest,
    expectedRepository,
    acceptedPredicateTypes: options.acceptedPredicateTypes ?? [COSIGN_SIGN_PREDICATE_TYPE],
    limits: resolveLimits(options.limits),
    ...(input.imageManifest ? { imageManifest: input.imageManifest } : {}),
  };
}

/**
 * Tries the candidates in order until one verifies: the first that does verifies the image and
 * names its signer; every candidate tried is listed with its outcome, and those beyond
 * `maxCandidates` as not tried.
 */
export function tryCandidates<S extends SignedBy>(
  imageDigest: string,
  candidates: readonly SignatureCandidate[],
  maxCandidates: number,
  verifyOne: (candidate: SignatureCandidate) => S | SignatureFailure,
): VerificationResult<S> {
  const tried: CandidateOutcome<S>[] = [];
  for (let i = 0; i < candidates.length; i++) {
    const candidate = candidates[i] as SignatureCandidate;
    const signature = summarize(candidate);
    if (i >= maxCandidates) {
      tried.push({
        candidate: signature,
        verified: false,
        failure: failure(
          "TOO_MANY_SIGNATURES",
          `not tried: only the first ${maxCandidates} signatures of an image are checked`,
        ),
      });
      continue;
    }
    const outcome = verifyOne(candidate);
    if ("code" in outcome) {
      tried.push({ candidate: signature, verified: false, failure: outcome });
      continue;
    }
    tried.push({ candidate: signature, verified: true, ...outcome });
    // S is a signer ({ key } or { identity }); spread between imageDigest and signature as the
    // JSON output orders the fields.
    return { verified: true, imageDigest, ...outcome, signature, tried } as VerificationResult<S>;
  }
  return {
    verified: false,
    imageDigest,
    reason: candidates.length === 0 ? "no-signatures" : "no-valid-signature",
    tried,
  };
}
