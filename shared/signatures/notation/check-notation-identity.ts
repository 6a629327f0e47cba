import type { X509Certificate } from "node:crypto";
import { failure, type SignatureFailure } from "../signature-failure.ts";
import { oneLine } from "./check-notation-trust-store.ts";
import { matchesTrustedIdentity, type TrustedIdentity } from "./trusted-identity.ts";

/** The leaf's subject is one the policy trusts; returns the identity that admitted it. */
export function checkNotationIdentity(
  leaf: X509Certificate,
  identities: readonly TrustedIdentity[],
): { identity: TrustedIdentity } | { failure: SignatureFailure } {
  const identity = identities.find((id) => matchesTrustedIdentity(id, leaf));
  if (identity) return { identity };
  return {
    failure: failure(
      "NOTATION_IDENTITY_MISMATCH",
      `the signing certificate's subject ${oneLine(leaf.subject)} matches none of the ${identities.length} trusted identities`,
    ),
  };
}
