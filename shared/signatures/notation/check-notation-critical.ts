import { failure, type SignatureFailure } from "../signature-failure.ts";
import type { NotationEnvelope } from "./notation-envelope.ts";
import {
  HEADER_AUTHENTIC_SIGNING_TIME,
  HEADER_EXPIRY,
  HEADER_SIGNING_SCHEME,
} from "./notation-formats.ts";

/** The critical headers the spec defines and this verifier processes; nothing else may be. */
const UNDERSTOOD: readonly string[] = [
  HEADER_SIGNING_SCHEME,
  HEADER_AUTHENTIC_SIGNING_TIME,
  HEADER_EXPIRY,
];

/**
 * `crit` (RFC 7515 4.1.11, RFC 9052 3.1) as the Notary Project constrains it: it names the
 * signing scheme, and authenticSigningTime and expiry whenever they are present; every name in
 * it is a header present in the protected header and one this verifier understands. A header we
 * do not understand (a verification plugin's, a future extension) must not be silently ignored.
 */
export function checkNotationCritical(env: NotationEnvelope): SignatureFailure | null {
  const refuse = (why: string) => failure("NOTATION_CRITICAL_HEADER", why);
  for (const name of env.crit) {
    if (!UNDERSTOOD.includes(name)) {
      return refuse(`critical header ${name} is not one this verifier understands`);
    }
    if (!env.protectedHeaders.has(name)) {
      return refuse(`crit names ${name}, which the protected header does not carry`);
    }
  }
  if (new Set(env.crit).size !== env.crit.length) return refuse("crit names a header twice");
  for (const name of UNDERSTOOD) {
    if (env.protectedHeaders.has(name) && !env.crit.includes(name)) {
      return refuse(`${name} is present but not marked critical`);
    }
  }
  if (!env.crit.includes(HEADER_SIGNING_SCHEME)) {
    return refuse(`crit does not name ${HEADER_SIGNING_SCHEME}`);
  }
  return null;
}
