import { Verifier } from "@sigstore/verify";
import type { SignatureCandidate } from "../signature-candidate.ts";
import { SignatureInputError } from "../signature-input-error.ts";
import { baseCandidateContext, tryCandidates } from "../try-candidates.ts";
import type { KeylessVerificationResult } from "../verification-result.ts";
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
  return tryCandidates(input.imageDigest, input.candidates, ctx.limits.maxCandidates, (c) => {
    const outcome = verifyKeylessCandidate(c, ctx);
    return "code" in outcome ? outcome : { identity: outcome };
  });
}

function context(input: VerifyKeylessInput): KeylessContext {
  const base = baseCandidateContext(input, () => {
    if (input.identities.length === 0) {
      throw new SignatureInputError("no trusted identities: give at least one issuer and subject");
    }
  });
  const options = input.options ?? {};
  const requireTlog = options.requireTlog ?? true;
  const requireSct = options.requireSct ?? input.trustedRoot.hasCtLogs;
  if (requireSct && !input.trustedRoot.hasCtLogs) {
    throw new SignatureInputError("requireSct needs a trusted root that lists CT logs");
  }
  return {
    ...base,
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
