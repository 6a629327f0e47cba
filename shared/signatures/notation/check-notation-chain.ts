import { X509Certificate } from "node:crypto";
import { failure, type SignatureFailure } from "../signature-failure.ts";
import { CODE_SIGNING_EKU } from "./notation-formats.ts";

/** A longer chain is not something a signer needs; it only costs verification time. */
export const MAX_CHAIN_LENGTH = 10;

/**
 * The envelope's certificate chain, leaf first, as a chain: each certificate issued and signed by
 * the next, every certificate after the leaf a CA, the leaf not a CA and, when it lists extended
 * key usages, allowed to sign code (notation's code-signing chain rules). A self-issued last
 * certificate must be self-signed. Trust in the chain is checkNotationTrustStore's job.
 */
export function checkNotationChain(
  ders: readonly Uint8Array[],
): { chain: X509Certificate[] } | { failure: SignatureFailure } {
  const refuse = (why: string) => ({ failure: failure("NOTATION_CHAIN_INVALID", why) });
  if (ders.length > MAX_CHAIN_LENGTH) {
    return refuse(`the chain has ${ders.length} certificates, more than ${MAX_CHAIN_LENGTH}`);
  }
  const chain: X509Certificate[] = [];
  for (const [i, der] of ders.entries()) {
    try {
      chain.push(new X509Certificate(der));
    } catch {
      return refuse(`certificate ${i} of the chain is not an X.509 certificate`);
    }
  }
  const leaf = chain[0];
  if (!leaf) return refuse("the chain is empty");
  if (leaf.ca) return refuse("the signing certificate is a CA certificate");
  const eku = leaf.keyUsage;
  if (eku !== undefined && eku.length > 0 && !eku.includes(CODE_SIGNING_EKU)) {
    return refuse("the signing certificate's extended key usage does not allow code signing");
  }
  for (let i = 0; i + 1 < chain.length; i++) {
    const cert = chain[i] as X509Certificate;
    const issuer = chain[i + 1] as X509Certificate;
    if (!issuer.ca) return refuse(`certificate ${i + 1} issues certificate ${i} but is not a CA`);
    if (!cert.checkIssued(issuer) || !cert.verify(issuer.publicKey)) {
      return refuse(`certificate ${i} is not issued and signed by certificate ${i + 1}`);
    }
  }
  const last = chain[chain.length - 1] as X509Certificate;
  if (last.checkIssued(last) && !last.verify(last.publicKey)) {
    return refuse("the chain's root certificate is not self-signed");
  }
  return { chain };
}
