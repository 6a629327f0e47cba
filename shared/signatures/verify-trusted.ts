import type { CertificateIdentity } from "./keyless/certificate-identity.ts";
import type { KeylessTrustRoot } from "./keyless/trusted-root.ts";
import { type KeylessVerifyOptions, verifyKeyless } from "./keyless/verify-keyless.ts";
import type { NotationTrust } from "./notation/notation-trust.ts";
import type { NotationRead } from "./notation/read-notation-manifest.ts";
import { verifyNotation } from "./notation/verify-notation.ts";
import { SignatureInputError } from "./signature-input-error.ts";
import type { TrustedKey } from "./trusted-key.ts";
import type { CandidateOutcome, VerificationResult } from "./verification-result.ts";
import {
  type VerifyImageSignaturesInput,
  verifyImageSignatures,
} from "./verify-image-signatures.ts";

/** Keyless trust: the trusted root and the identities, each read once at policy load. */
export interface KeylessTrust {
  trustedRoot: KeylessTrustRoot;
  identities: readonly CertificateIdentity[];
}

export interface VerifyTrustedInput extends Omit<VerifyImageSignaturesInput, "keys" | "options"> {
  /** Trusted keys (PEM, DER, KMS); empty or absent when only identities are trusted. */
  keys?: readonly TrustedKey[];
  keyless?: KeylessTrust;
  /** Notation trust store and identities; Notation envelopes are tried only when given. */
  notation?: NotationTrust;
  /** The image's Notation envelopes, as a source found them (SignedImageSignatures). */
  notationCandidates?: readonly NotationRead[];
  /** Verification time, required with `notation` (certificate validity, expiry). */
  now?: Date;
  /** Key-based options; requireTlog and requireSct apply to keyless signatures only. */
  options?: KeylessVerifyOptions;
}

/**
 * One image against everything a policy trusts, keys, keyless identities and Notation trust
 * alike (cosign first, then Notation envelopes, each only when its trust is given): any single
 * signature that verifies with a trusted key, or for a trusted identity, verifies the image (keys
 * are tried first, over every signature: they cost no certificate checks). When none does, each candidate is reported with the refusal of the path its material belongs to: a
 * signature that carries no certificate with the key-based step that refused it, one that does
 * with the keyless step. Pure, as the two verifiers it runs.
 */
export function verifyTrusted(input: VerifyTrustedInput): VerificationResult {
  const { notation, notationCandidates = [], now, ...cosign } = input;
  if (!notation) return verifyCosign(cosign);
  if (!now)
    throw new SignatureInputError("Notation verification needs the verification time `now`");
  const trustsCosign = (cosign.keys?.length ?? 0) > 0 || cosign.keyless !== undefined;
  const byCosign = trustsCosign ? verifyCosign(cosign) : null;
  if (byCosign?.verified) return byCosign;
  const byNotation = verifyNotation({
    imageDigest: cosign.imageDigest,
    candidates: notationCandidates,
    trust: notation,
    now,
    ...(cosign.options?.limits ? { limits: cosign.options.limits } : {}),
  });
  if (!byCosign) return byNotation;
  // Cosign signatures were tried first: the report lists them before the Notation envelopes.
  const tried = [...byCosign.tried, ...byNotation.tried];
  if (byNotation.verified) return { ...byNotation, tried };
  const none = byCosign.reason === "no-signatures" && byNotation.reason === "no-signatures";
  return { ...byNotation, reason: none ? "no-signatures" : "no-valid-signature", tried };
}

/**
 * Cosign signatures against trusted keys and keyless identities: any single signature that
 * verifies with a trusted key, or for a trusted identity, verifies the image.
 */
function verifyCosign(
  input: Omit<VerifyTrustedInput, "notation" | "notationCandidates" | "now">,
): VerificationResult {
  const { keys = [], keyless, options, ...image } = input;
  if (keys.length === 0 && !keyless) {
    throw new SignatureInputError(
      "nothing trusted: give at least one public key, KMS key, keyless identity, or Notation trust store",
    );
  }
  if (!keyless) return verifyImageSignatures({ ...image, keys, options });
  const byKey = keys.length > 0 ? verifyImageSignatures({ ...image, keys, options }) : null;
  if (byKey?.verified) return byKey;
  const byIdentity = verifyKeyless({ ...image, ...keyless, ...(options ? { options } : {}) });
  if (byIdentity.verified || !byKey) return byIdentity;
  return { ...byIdentity, tried: byIdentity.tried.map((t, i) => pathOf(byKey.tried[i], t)) };
}

/** The keyless refusal, unless it only says the signature is not a keyless one. */
function pathOf(
  byKey: CandidateOutcome | undefined,
  byIdentity: CandidateOutcome,
): CandidateOutcome {
  if (byIdentity.verified || byIdentity.failure.code !== "CERTIFICATE_MISSING") return byIdentity;
  return byKey ?? byIdentity;
}
