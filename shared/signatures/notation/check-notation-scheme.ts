import { failure, type SignatureFailure } from "../signature-failure.ts";
import type { NotationEnvelope } from "./notation-envelope.ts";
import {
  HEADER_AUTHENTIC_SIGNING_TIME,
  HEADER_SIGNING_TIME,
  NOTATION_SIGNING_SCHEMES,
  type NotationSigningScheme,
  SCHEME_X509,
} from "./notation-formats.ts";

/**
 * The signing scheme (signing-scheme.md): one the spec defines, the one the policy accepts when
 * it names one, with its own time header and not the other's: notary.x509 carries the signer's
 * signingTime, notary.x509.signingAuthority the authority's authenticSigningTime.
 */
export function checkNotationScheme(
  env: NotationEnvelope,
  accepted: NotationSigningScheme | undefined,
): { scheme: NotationSigningScheme } | { failure: SignatureFailure } {
  const refuse = (why: string) => ({ failure: failure("NOTATION_SIGNING_SCHEME", why) });
  const scheme = env.signingScheme as NotationSigningScheme | undefined;
  if (scheme === undefined || !NOTATION_SIGNING_SCHEMES.includes(scheme)) {
    return refuse(
      `signing scheme ${env.signingScheme ?? "(none)"} is not one of ${NOTATION_SIGNING_SCHEMES.join(", ")}`,
    );
  }
  if (accepted !== undefined && scheme !== accepted) {
    return refuse(`signed under ${scheme}, but the policy accepts ${accepted} only`);
  }
  const [needed, forbidden] =
    scheme === SCHEME_X509
      ? [HEADER_SIGNING_TIME, HEADER_AUTHENTIC_SIGNING_TIME]
      : [HEADER_AUTHENTIC_SIGNING_TIME, HEADER_SIGNING_TIME];
  if (!env.protectedHeaders.has(needed)) return refuse(`${scheme} requires ${needed}`);
  if (env.protectedHeaders.has(forbidden))
    return refuse(`${forbidden} is not valid under ${scheme}`);
  return { scheme };
}
