// Node's Buffer.from(s, "base64") skips characters it does not know; signatures and payloads must
// decode exactly or not at all, so the alphabet and padding are checked first.
const STD_PADDED = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const STD_OR_URL_ANY_PADDING = /^(?:[A-Za-z0-9+/]*|[A-Za-z0-9_-]*)={0,2}$/;

/**
 * Standard alphabet with padding, as Go's base64.StdEncoding wants it: cosign writes the
 * `dev.cosignproject.cosign/signature` annotation this way. Null when it is not one.
 */
export function decodeStdBase64(text: string): Uint8Array | null {
  if (text.length === 0 || !STD_PADDED.test(text)) return null;
  return new Uint8Array(Buffer.from(text, "base64"));
}

/**
 * Protobuf JSON `bytes` (Sigstore bundle fields) and DSSE envelope fields: standard or URL-safe
 * alphabet, padding optional (both specs say verifiers must accept either). Null when neither.
 */
export function decodeBundleBase64(text: string): Uint8Array | null {
  if (!STD_OR_URL_ANY_PADDING.test(text)) return null;
  const body = text.replace(/=+$/, "");
  if (body.length % 4 === 1) return null;
  if (text.length !== body.length && text.length % 4 !== 0) return null;
  return new Uint8Array(Buffer.from(body, /[-_]/.test(body) ? "base64url" : "base64"));
}
