import type { NotationCandidate } from "./notation/notation-candidate.ts";
import type { CandidateOrigin, SignatureCandidate } from "./signature-candidate.ts";
import type { SignatureFailure } from "./signature-failure.ts";
import type { KeyAlgorithm, KeyOrigin, TrustedKey } from "./trusted-key.ts";

/** A candidate as a report shows it: where it came from, never its bytes. */
export interface CandidateSummary extends CandidateOrigin {
  format: SignatureCandidate["format"] | NotationCandidate["format"];
}

/** The key that verified, as an audit record names it. */
export interface VerifyingKey {
  id: string;
  name?: string;
  algorithm: KeyAlgorithm;
  origin: KeyOrigin;
}

/**
 * The signer a keyless signature was verified for, as an audit record names it (the keyless
 * counterpart of VerifyingKey): who (issuer + subject from the Fulcio certificate), which policy
 * identity admitted them, and when the signature provably existed.
 */
export interface VerifyingIdentity {
  /** First 16 hex chars of sha256(leaf certificate DER). */
  id: string;
  /**
   * OIDC issuer (certificate extension 1.3.6.1.4.1.57264.1.8, or .1.1 in older certificates);
   * for Notation, the leaf certificate's issuer distinguished name.
   */
  issuer: string;
  /**
   * The certificate's subject alternative name: a URI or an email address; for Notation, the
   * leaf certificate's subject distinguished name (what trusted identities match).
   */
  subject: string;
  /** The policy identity's name, when it has one. */
  name?: string;
  /** Earliest verified signing time: the log's integrated time or a TSA's time, ISO 8601. */
  signedAt: string;
  /**
   * Where signedAt comes from. Notation: `signing-authority` is the authenticSigningTime a
   * signing authority (AWS Signer) vouches for; `signer-claimed` is notary.x509's signingTime,
   * which no timestamp authority countersigned (never used in a trust decision).
   */
  timeSource: "transparency-log" | "timestamp-authority" | "signing-authority" | "signer-claimed";
  /** Notation only: the signing scheme the signature was verified under. */
  signingScheme?: "notary.x509" | "notary.x509.signingAuthority";
  /** Index of the (verified) transparency-log entry, when there is one. */
  logIndex?: string;
}

/** Who a verified signature is from: a trusted key (`key`) or a keyless identity (`identity`). */
export type SignedBy = { key: VerifyingKey } | { identity: VerifyingIdentity };
export type SignedByKey = { key: VerifyingKey };
export type SignedByIdentity = { identity: VerifyingIdentity };

/** One candidate tried: verified (by a key or an identity), or refused by a step. */
export type CandidateOutcome<S extends SignedBy = SignedBy> =
  | ({ candidate: CandidateSummary; verified: true } & S)
  | { candidate: CandidateSummary; verified: false; failure: SignatureFailure };

/**
 * What one verification of an image concluded, key-based or keyless alike: a caller branches on
 * `verified`, reads `reason` and `tried`, and names the signer from `key` or `identity`
 * (`"key" in result`). verifyImageSignatures returns it with `key`, verifyKeyless with `identity`.
 */
export type VerificationResult<S extends SignedBy = SignedBy> =
  | ({
      verified: true;
      imageDigest: string;
      /** The candidate that verified. */
      signature: CandidateSummary;
      /** Every candidate tried, in order, the verifying one last. */
      tried: CandidateOutcome<S>[];
    } & S)
  | {
      verified: false;
      imageDigest: string;
      /** no-signatures: nothing was found to try; otherwise each refusal is in `tried`. */
      reason: "no-signatures" | "no-valid-signature";
      tried: CandidateOutcome<S>[];
    };

export type KeyVerificationResult = VerificationResult<SignedByKey>;
export type KeylessVerificationResult = VerificationResult<SignedByIdentity>;

/** How a verified signer is named in one line: the key's name (or id), or issuer and subject. */
export function describeSigner(by: SignedBy): string {
  if ("key" in by) {
    const { key } = by;
    const where = key.origin.kind === "kms" ? `KMS ${key.origin.arn}` : key.algorithm;
    return `key ${key.name ? `${key.name} (${key.id}, ${where})` : `${key.id} (${where})`}`;
  }
  const { identity } = by;
  return `${identity.name ? `${identity.name}: ` : ""}issuer ${identity.issuer}, subject ${identity.subject}`;
}

export function summarize(c: SignatureCandidate | NotationCandidate): CandidateSummary {
  return {
    format: c.format,
    source: c.source,
    ...(c.layerIndex !== undefined ? { layerIndex: c.layerIndex } : {}),
    ...(c.layerDigest !== undefined ? { layerDigest: c.layerDigest } : {}),
    ...(c.mediaType !== undefined ? { mediaType: c.mediaType } : {}),
    ...(c.size !== undefined ? { size: c.size } : {}),
  };
}

export function verifyingKey(key: TrustedKey): VerifyingKey {
  return {
    id: key.id,
    ...(key.name !== undefined ? { name: key.name } : {}),
    algorithm: key.algorithm,
    origin: key.origin,
  };
}
