import { X509Certificate } from "node:crypto";
import { pemBlocks } from "../keyless/pem-blocks.ts";
import type { NotationSigningScheme } from "./notation-formats.ts";
import { NotationPolicyError } from "./notation-policy-error.ts";
import { parseTrustedIdentity, type TrustedIdentity } from "./trusted-identity.ts";

/**
 * What a policy trusts for Notation signatures, read once at policy load: the trust store (CA
 * certificates for notary.x509, signing-authority roots for notary.x509.signingAuthority, as
 * AWS Signer's), the trusted identities, and optionally the one signing scheme accepted.
 */
export interface NotationTrust {
  trustStore: readonly X509Certificate[];
  trustedIdentities: readonly TrustedIdentity[];
  /** Absent: either scheme, both anchored in `trustStore`. */
  signingScheme?: NotationSigningScheme;
}

export interface NotationTrustSpec {
  /** PEM texts (each may hold several CERTIFICATE blocks), e.g. the files of a trust store dir. */
  trustStorePems: readonly { name: string; pem: string }[];
  trustedIdentities: readonly string[];
  signingScheme?: NotationSigningScheme;
}

export function loadNotationTrust(spec: NotationTrustSpec): NotationTrust {
  const trustStore: X509Certificate[] = [];
  for (const { name, pem } of spec.trustStorePems) {
    const blocks = pemBlocks(pem);
    if (!blocks) {
      throw new NotationPolicyError("TRUST_STORE_INVALID", `${name}: a PEM block is not base64`);
    }
    for (const b of blocks) {
      if (b.type !== "CERTIFICATE") continue;
      try {
        trustStore.push(new X509Certificate(b.der));
      } catch {
        throw new NotationPolicyError(
          "TRUST_STORE_INVALID",
          `${name}: a CERTIFICATE block is not an X.509 certificate`,
        );
      }
    }
  }
  if (trustStore.length === 0) {
    throw new NotationPolicyError(
      "TRUST_STORE_INVALID",
      "the trust store holds no PEM certificate: add the CA or signing-authority root certificates",
    );
  }
  if (spec.trustedIdentities.length === 0) {
    throw new NotationPolicyError(
      "TRUSTED_IDENTITY_INVALID",
      'no trusted identity: give "x509.subject: C=…, ST=…, O=…" (or "*" to trust every signer the trust store vouches for)',
    );
  }
  return {
    trustStore,
    trustedIdentities: spec.trustedIdentities.map(parseTrustedIdentity),
    ...(spec.signingScheme ? { signingScheme: spec.signingScheme } : {}),
  };
}
