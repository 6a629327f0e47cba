import type { X509Certificate } from "node:crypto";
import { failure, type SignatureFailure } from "../signature-failure.ts";

/**
 * Authenticity: the chain reaches the trust store. As notation does, a certificate of the chain
 * that is byte-for-byte a trust-store certificate anchors it; a chain sent without its root is
 * also anchored when its last certificate is issued and signed by a trust-store CA. Returns the
 * chain up to and including the anchor, whose validity is then checked.
 */
export function checkNotationTrustStore(
  chain: readonly X509Certificate[],
  trustStore: readonly X509Certificate[],
): { anchored: X509Certificate[] } | { failure: SignatureFailure } {
  const stored = new Set(trustStore.map((c) => c.fingerprint256));
  const at = chain.findIndex((c) => stored.has(c.fingerprint256));
  if (at >= 0) return { anchored: chain.slice(0, at + 1) };
  const last = chain[chain.length - 1];
  if (last && !last.checkIssued(last)) {
    const issuer = trustStore.find((s) => s.ca && last.checkIssued(s) && last.verify(s.publicKey));
    if (issuer) return { anchored: [...chain, issuer] };
  }
  return {
    failure: failure(
      "NOTATION_CHAIN_UNTRUSTED",
      `no certificate of the chain (root: ${oneLine(last?.subject ?? "")}) is in the trust store or issued by one of its certificates`,
    ),
  };
}

/** Node prints distinguished names one attribute per line. */
export function oneLine(dn: string): string {
  return dn.split("\n").filter(Boolean).join(", ");
}
