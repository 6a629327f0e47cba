import type { X509Certificate } from "node:crypto";
import { failure, type SignatureFailure } from "../signature-failure.ts";
import { algorithmForKey, verifyNotationSignature } from "./notation-algorithm.ts";
import type { NotationEnvelope } from "./notation-envelope.ts";

/**
 * The signature over the exact signed bytes, with the leaf's key, under the one algorithm that key
 * allows: `alg` must be the one algorithm selection gives the key (stops algorithm substitution).
 */
export function checkNotationSignature(
  env: NotationEnvelope,
  leaf: X509Certificate,
): SignatureFailure | null {
  const expected = algorithmForKey(leaf.publicKey);
  if (expected !== env.alg) {
    return failure(
      "NOTATION_ALGORITHM_MISMATCH",
      expected === null
        ? "the signing certificate's key is not RSA 2048/3072/4096 or EC P-256/P-384/P-521"
        : `alg is ${env.alg}, but the signing certificate's key calls for ${expected}`,
    );
  }
  if (verifyNotationSignature(env.alg, leaf.publicKey, env.signingInput, env.signature))
    return null;
  return failure(
    "SIGNATURE_INVALID",
    `the ${env.alg} signature does not verify with the signing certificate's key over the ${env.envelope === "jws" ? "JWS signing input" : "COSE Sig_structure"}`,
  );
}
