import { createHash } from "node:crypto";

/**
 * How a trusted key is named in results and audit records: the first 16 hex characters of
 * sha256(SPKI DER). Stable across PEM formatting, short enough to read in an alert.
 */
export function keyIdOf(spkiDer: Uint8Array): string {
  return createHash("sha256").update(spkiDer).digest("hex").slice(0, 16);
}

/**
 * cosign's hint for a key: base64 (standard) of sha256(SPKI DER), written as the bundle's
 * `verificationMaterial.publicKey.hint`. Unauthenticated: it may only order the keys we try.
 */
export function cosignKeyHint(spkiDer: Uint8Array): string {
  return createHash("sha256").update(spkiDer).digest("base64");
}
