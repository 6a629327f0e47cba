import type { X509Certificate } from "@sigstore/core";
import { PolicyError, VerificationError } from "@sigstore/verify";
import { failure, type SignatureFailure } from "../signature-failure.ts";

const causeOf = (err: VerificationError): string =>
  err.cause instanceof Error ? `: ${err.cause.message}` : "";

/**
 * Turns what @sigstore/verify threw into the step that refused. A chain failure is told apart
 * from an expired leaf by checking the leaf against the signing times the signature claims:
 * "expired" is what an operator can act on (sign again), "untrusted" is not.
 */
export function failureFromVerifyError(
  err: unknown,
  leaf: X509Certificate,
  signingTimes: readonly Date[],
): SignatureFailure {
  if (err instanceof PolicyError) return failure("IDENTITY_MISMATCH", err.message);
  if (!(err instanceof VerificationError)) {
    return failure(
      "SIGNATURE_INVALID",
      `the signature could not be verified: ${(err as Error)?.message ?? String(err)}`,
    );
  }
  const why = `${err.message}${causeOf(err)}`;
  switch (err.code) {
    case "CERTIFICATE_ERROR": {
      if (/SCT/.test(err.message))
        return failure("SCT_INVALID", `certificate transparency: ${why}`);
      const outside = signingTimes.find((t) => !leaf.validForDate(t));
      if (outside) {
        return failure(
          "CERTIFICATE_EXPIRED",
          `the certificate was valid from ${leaf.notBefore.toISOString()} to ${leaf.notAfter.toISOString()}, not at the signing time ${outside.toISOString()}`,
        );
      }
      return failure(
        "CERTIFICATE_UNTRUSTED",
        `the certificate does not chain to a certificate authority of the trusted root valid at signing time (${why})`,
      );
    }
    case "TIMESTAMP_ERROR":
      return failure("TIMESTAMP_INVALID", `no trusted signing time: ${why}`);
    case "TLOG_ERROR":
      return /expected \d+ tlog entries/.test(err.message)
        ? failure("TLOG_MISSING", `transparency log: ${why}`)
        : failure("TLOG_INCLUSION_INVALID", `transparency log: ${why}`);
    case "TLOG_MISSING_INCLUSION_ERROR":
    case "TLOG_INCLUSION_PROOF_ERROR":
    case "TLOG_INCLUSION_PROMISE_ERROR":
      return failure(
        "TLOG_INCLUSION_INVALID",
        `the log entry's inclusion does not verify with a log key of the trusted root: ${why}`,
      );
    case "TLOG_BODY_ERROR":
      return failure("TLOG_BODY_MISMATCH", `the log entry records something else: ${why}`);
    case "SIGNATURE_ERROR":
      return failure(
        "SIGNATURE_INVALID",
        "the signature does not verify with the certificate's key over the signed bytes",
      );
    case "PUBLIC_KEY_ERROR":
      return failure("CERTIFICATE_MISSING", `not a certificate-based signature: ${why}`);
    default:
      return failure("KEYLESS_UNSUPPORTED", why);
  }
}
