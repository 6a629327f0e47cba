import { DIGEST_RE } from "../domain/image.ts";
import type { ExpectedRepository } from "./check-docker-reference.ts";
import { sha256Digest } from "./sha256-digest.ts";
import type { SignatureCandidate } from "./signature-candidate.ts";
import { failure } from "./signature-failure.ts";
import { COSIGN_SIGN_PREDICATE_TYPE } from "./signature-formats.ts";
import { SignatureInputError } from "./signature-input-error.ts";
import { resolveLimits, type SignatureLimits } from "./signature-limits.ts";
import type { TrustedKey } from "./trusted-key.ts";
import {
  type CandidateOutcome,
  type KeyVerificationResult,
  type SignedByKey,
  summarize,
  verifyingKey,
} from "./verification-result.ts";
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
  const ctx = context(input);
  const tried: CandidateOutcome<SignedByKey>[] = [];
  const { candidates } = input;
  for (let i = 0; i < candidates.length; i++) {
    const candidate = candidates[i] as SignatureCandidate;
    if (i >= ctx.limits.maxCandidates) {
      tried.push({
        candidate: summarize(candidate),
        verified: false,
        failure: failure(
          "TOO_MANY_SIGNATURES",
          `not tried: only the first ${ctx.limits.maxCandidates} signatures of an image are checked`,
        ),
      });
      continue;
    }
    const outcome = verifyCandidate(candidate, ctx);
    if ("code" in outcome) {
      tried.push({ candidate: summarize(candidate), verified: false, failure: outcome });
      continue;
    }
    const key = verifyingKey(outcome);
    const signature = summarize(candidate);
    tried.push({ candidate: signature, verified: true, key });
    return { verified: true, imageDigest: input.imageDigest, key, signature, tried };
  }
  return {
    verified: false,
    imageDigest: input.imageDigest,
    reason: candidates.length === 0 ? "no-signatures" : "no-valid-signature",
    tried,
  };
}

function context(input: VerifyImageSignaturesInput): CandidateContext {
  if (!DIGEST_RE.test(input.imageDigest)) {
    throw new SignatureInputError(`image digest ${input.imageDigest} is not sha256:<64 hex>`);
  }
  if (input.keys.length === 0) {
    throw new SignatureInputError("no trusted keys: give at least one public key or KMS key");
  }
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
    keys: input.keys,
    ...(input.imageManifest ? { imageManifest: input.imageManifest } : {}),
  };
}
