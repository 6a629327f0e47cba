import type { X509Certificate } from "node:crypto";
import { failure, type SignatureFailure } from "../signature-failure.ts";
import { oneLine } from "./check-notation-trust-store.ts";

/**
 * Every certificate from the leaf to the trust anchor was valid at `at`: for notary.x509 without
 * a timestamp countersignature that is now (notation's rule when no trusted time exists), for
 * notary.x509.signingAuthority the authenticSigningTime the authority signed.
 */
export function checkNotationCertificateTime(
  chain: readonly X509Certificate[],
  at: Date,
  what: string,
): SignatureFailure | null {
  const t = at.getTime();
  for (const cert of chain) {
    if (t < cert.validFromDate.getTime() || t > cert.validToDate.getTime()) {
      return failure(
        "NOTATION_CERTIFICATE_EXPIRED",
        `certificate ${oneLine(cert.subject)} is valid ${cert.validFromDate.toISOString()} to ${cert.validToDate.toISOString()}, not at ${what} ${at.toISOString()}`,
      );
    }
  }
  return null;
}
