import { verify } from "node:crypto";
import { ecdsaDerProblem } from "./ecdsa-der.ts";
import { failure, type SignatureFailure } from "./signature-failure.ts";
import type { TrustedKey } from "./trusted-key.ts";

/**
 * "verified", "invalid" (well-formed, does not verify), or why the signature cannot be one of
 * this key's at all (malformed DER, wrong length).
 */
export function verifyWithKey(
  key: TrustedKey,
  message: Uint8Array,
  signature: Uint8Array,
): "verified" | "invalid" | { malformed: string } {
  if (key.curveOrder) {
    const problem = ecdsaDerProblem(signature, key.curveOrder);
    if (problem) return { malformed: `not a DER ECDSA signature: ${problem}` };
  } else if (key.signatureLength !== undefined && signature.length !== key.signatureLength) {
    return {
      malformed: `${signature.length} bytes, a ${key.algorithm} signature of this key is ${key.signatureLength}`,
    };
  }
  try {
    return verify(key.hash, message, key.verifyKey, signature) ? "verified" : "invalid";
  } catch {
    return "invalid";
  }
}

/**
 * Step: the signature over the exact signed bytes verifies with one of the trusted keys. A key
 * whose hint the signature carries is tried first; the hint never decides anything.
 */
export function checkSignature(
  message: Uint8Array,
  signature: Uint8Array,
  keys: readonly TrustedKey[],
  hint?: string,
): TrustedKey | SignatureFailure {
  const ordered =
    hint && keys.length > 1
      ? [...keys.filter((k) => k.hint === hint), ...keys.filter((k) => k.hint !== hint)]
      : keys;
  let malformed: string | null = null;
  let wellFormedForSome = false;
  for (const key of ordered) {
    const verdict = verifyWithKey(key, message, signature);
    if (verdict === "verified") return key;
    if (verdict === "invalid") wellFormedForSome = true;
    else malformed ??= verdict.malformed;
  }
  if (!wellFormedForSome && malformed) return failure("SIGNATURE_MALFORMED", malformed);
  return failure(
    "SIGNATURE_INVALID",
    `no trusted key verifies this signature (tried ${keys.map((k) => k.name ?? k.id).join(", ")})`,
  );
}
