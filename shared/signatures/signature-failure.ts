/**
 * Why one signature candidate did not verify. Every step owns its codes, so a failure report
 * (audit record, alert, `verify` exit 1) says which check refused which signature.
 */
export type SignatureFailureCode =
  // the signature manifest as a whole
  | "MANIFEST_TOO_LARGE"
  | "MANIFEST_MALFORMED"
  | "TOO_MANY_LAYERS"
  // one layer, before any cryptography
  | "MEDIA_TYPE_NOT_SIGNATURE"
  | "SIGNATURE_MISSING"
  | "PAYLOAD_TOO_LARGE"
  | "BLOB_DIGEST_MISMATCH"
  | "BUNDLE_MALFORMED"
  | "BUNDLE_VERSION_UNSUPPORTED"
  // the signature itself
  | "SIGNATURE_MALFORMED"
  | "SIGNATURE_INVALID"
  // what the signed payload claims
  | "PAYLOAD_MALFORMED"
  | "CRITICAL_TYPE_MISMATCH"
  | "DIGEST_MISMATCH"
  | "REFERENCE_MISMATCH"
  | "PAYLOAD_TYPE_UNSUPPORTED"
  | "PREDICATE_TYPE_NOT_ACCEPTED"
  | "SUBJECT_MISMATCH"
  | "MESSAGE_UNAVAILABLE"
  | "MESSAGE_DIGEST_MISMATCH"
  // the verification's own bound
  | "TOO_MANY_SIGNATURES"
  // keyless only: the certificate, the time it was valid at, the transparency log, the identity
  | KeylessFailureCode
  // Notation (Notary Project) only: the envelope, its headers, the X.509 chain and trust store
  | NotationFailureCode;

/**
 * Why a keyless signature did not verify, beyond the steps it shares with key-based ones (media
 * type, sizes, the signature itself, the signed claims). Part of SignatureFailureCode, so the
 * pipeline, audit records and the CLI read one vocabulary whichever way an image was signed.
 */
export type KeylessFailureCode =
  /** Key-based material (a public key hint, no certificate annotation): not a keyless signature. */
  | "CERTIFICATE_MISSING"
  | "CERTIFICATE_MALFORMED"
  /** No path from the leaf to a certificate authority of the trusted root valid at signing time. */
  | "CERTIFICATE_UNTRUSTED"
  /** The leaf was not valid at the signing time (Fulcio certificates live ten minutes). */
  | "CERTIFICATE_EXPIRED"
  /** Certificate transparency: an SCT missing or not signed by a CT log of the trusted root. */
  | "SCT_INVALID"
  /** No verified time to check the certificate at (no log entry time, no trusted TSA token). */
  | "TIMESTAMP_INVALID"
  | "TLOG_MALFORMED"
  | "TLOG_MISSING"
  /** The SET or inclusion proof does not verify with a log key of the trusted root. */
  | "TLOG_INCLUSION_INVALID"
  /** The log entry records another signature, artifact or certificate. */
  | "TLOG_BODY_MISMATCH"
  /** Certificate issuer and subject match none of the policy's identities. */
  | "IDENTITY_MISMATCH"
  | "KEYLESS_UNSUPPORTED";

/**
 * Why a Notation (Notary Project) signature did not verify, beyond the steps it shares with cosign
 * (media type, sizes, SIGNATURE_INVALID, PAYLOAD_MALFORMED, DIGEST_MISMATCH). One code per check
 * of shared/signatures/notation/.
 */
export type NotationFailureCode =
  /** Not a JWS JSON serialization or COSE_Sign1_Tagged envelope as the Notary Project writes it. */
  | "NOTATION_ENVELOPE_MALFORMED"
  /** `alg` is not PS256/384/512 or ES256/384/512, or not the one the signing key's type and size name. */
  | "NOTATION_ALGORITHM_MISMATCH"
  /** A critical header nobody here understands, or one the spec requires missing from `crit`. */
  | "NOTATION_CRITICAL_HEADER"
  /** The payload content type is not application/vnd.cncf.notary.payload.v1+json. */
  | "NOTATION_CONTENT_TYPE"
  /** Signing scheme unknown, not the one the policy accepts, or without its signing-time header. */
  | "NOTATION_SIGNING_SCHEME"
  /** The x5c / x5chain chain is broken: order, signatures, CA flags, code-signing leaf. */
  | "NOTATION_CHAIN_INVALID"
  /** No certificate of the chain is (or was issued by) a certificate in the trust store. */
  | "NOTATION_CHAIN_UNTRUSTED"
  /** A certificate of the chain was not valid at the time checked (now, or authenticSigningTime). */
  | "NOTATION_CERTIFICATE_EXPIRED"
  /** The leaf's subject matches none of the trusted identities. */
  | "NOTATION_IDENTITY_MISMATCH"
  /** `io.cncf.notary.expiry` is in the past. */
  | "NOTATION_SIGNATURE_EXPIRED";

export interface SignatureFailure {
  code: SignatureFailureCode;
  /** One sentence a person can act on; never contains key or certificate bytes. */
  message: string;
}

export function failure(code: SignatureFailureCode, message: string): SignatureFailure {
  return { code, message };
}
