import { Verifier } from "@sigstore/verify";
import { DIGEST_RE } from "../../domain/image.ts";
import type { ExpectedRepository } from "../check-docker-reference.ts";
import { sha256Digest } from "../sha256-digest.ts";
import type { SignatureCandidate } from "../signature-candidate.ts";
import { failure } from "../signature-failure.ts";
import { COSIGN_SIGN_PREDICATE_TYPE } from "../signature-formats.ts";
import { SignatureInputError } from "../signature-input-error.ts";
import { resolveLimits } from "../signature-limits.ts";
import {
  type CandidateOutcome,
  type KeylessVerificationResult,
  type SignedByIdentity,
  summarize,
} from "../verification-result.ts";
import type { VerifyOptions } from "../verify-image-signatures.ts";
import type { CertificateIdentity } from "./certificate-identity.ts";
import type { KeylessTrustRoot } from "./trusted-root.ts";
import { type KeylessContext, verifyKeylessCandidate } from "./verify-keyless-candidate.ts";

export interface KeylessVerifyOptions extends VerifyOptions {
  /**
   * Require a transparency-log entry (default true, as `cosign verify`). false accepts a
   * signature whose signing time comes from a trusted TSA alone (private deployments without
   * Rekor); an entry that is present is verified all the same.
   */
  requireTlog?: boolean;
  /**
   * Require an SCT from a CT log of the trusted root in the certificate. Default: true when the
   * root lists CT logs (the public-good instance does), false when it lists none.
   */
  requireSct?: boolean;
}

export interface VerifyKeylessInput {
  /** Digest computed from the image manifest bytes the pipeline fetched. */
  imageDigest: string;
  /** Repository path as the registry names it. */
  repository: string;
  /** Registry host; when given, `matchReference` compares it too. */
  registry?: string;
  /** The image manifest bytes; needed only to check message-signature bundles. */
  imageManifest?: Uint8Array;
  candidates: readonly SignatureCandidate[];
  /** The policy's trusted root, read once (loadTrustedRoot). */
  trustedRoot: KeylessTrustRoot;
  /** The policy's identities, compiled once (compileIdentities). */
  identities: readonly CertificateIdentity[];
  options?: KeylessVerifyOptions;
}

/**
 * Keyless (Fulcio + Rekor) verification of one image, offline against the policy's trusted root:
 * any single candidate that passes every step for a trusted identity verifies the image, and the
 * result names that identity; otherwise each candidate tried is listed with the step that refused
 * it. The same inputs, candidates and result type (VerificationResult) as verifyImageSignatures,
 * with `identity` in place of `key`. Pure: no I/O, no clock (a certificate is judged at its
 * signing time).
 */
export function verifyKeyless(input: VerifyKeylessInput): KeylessVerificationResult {
  const ctx = context(input);
  const tried: CandidateOutcome<SignedByIdentity>[] = [];
  const { candidates } = input;
  for (let i = 0; i < candidates.length; i++) {
    const candidate = candidates[i] as SignatureCandidate;
    const signature = summarize(candidate);
    if (i >= ctx.limits.maxCandidates) {
      tried.push({
        candidate: signature,
        verified: false,
        failure: failure(
          "TOO_MANY_SIGNATURES",
          `not tried: only the first ${ctx.limits.maxCandidates} signatures of an image are checked`,
        ),
      });
      continue;
    }
    const outcome = verifyKeylessCandidate(candidate, ctx);
    if ("code" in outcome) {
      tried.push({ candidate: signature, verified: false, failure: outcome });
      continue;
    }
    tried.push({ candidate: signature, verified: true, identity: outcome });
    return { verified: true, imageDigest: input.imageDigest, identity: outcome, signature, tried };
  }
  return {
    verified: false,
    imageDigest: input.imageDigest,
    reason: candidates.length === 0 ? "no-signatures" : "no-valid-signature",
    tried,
  };
}

function context(input: VerifyKeylessInput): KeylessContext {
  if (!DIGEST_RE.test(input.imageDigest)) {
    throw new SignatureInputError(`image digest ${input.imageDigest} is not sha256:<64 hex>`);
  }
  if (input.identities.length === 0) {
    throw new SignatureInputError("no trusted identities: give at least one issuer and subject");
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
  const requireTlog = options.requireTlog ?? true;
  const requireSct = options.requireSct ?? input.trustedRoot.hasCtLogs;
  if (requireSct && !input.trustedRoot.hasCtLogs) {
    throw new SignatureInputError("requireSct needs a trusted root that lists CT logs");
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
    verifier: new Verifier(input.trustedRoot.material, {
      tlogThreshold: requireTlog ? 1 : 0,
      ctlogThreshold: requireSct ? 1 : 0,
      // One verified signing time (SET or TSA token): the certificate is judged at it.
      timestampThreshold: 1,
    }),
    identities: input.identities,
    requireTlog,
  };
}
