import type { CandidateOrigin, SignatureCandidate } from "./signature-candidate.ts";
import { BundleFormatError, parseSigstoreBundle } from "./sigstore-bundle.ts";

/** A bundle blob as a candidate: its DSSE envelope or message signature, or why it is unreadable. */
export function candidateFromBundle(
  blob: Uint8Array,
  origin: CandidateOrigin & { mediaType: string },
): SignatureCandidate {
  let bundle: ReturnType<typeof parseSigstoreBundle>;
  try {
    bundle = parseSigstoreBundle(blob);
  } catch (err) {
    if (err instanceof BundleFormatError) {
      return { ...origin, format: "rejected", failure: { code: err.code, message: err.message } };
    }
    throw err;
  }
  const hint = bundle.verificationMaterial.publicKey?.hint;
  const keyHint = hint ? { keyHint: hint } : {};
  if (bundle.content.kind === "dsse") {
    const { envelope } = bundle.content;
    return {
      ...origin,
      format: "dsse",
      payloadType: envelope.payloadType,
      payload: envelope.payload,
      // parseSigstoreBundle guarantees exactly one signature.
      signature: (envelope.signatures[0] as { sig: Uint8Array }).sig,
      ...keyHint,
      bundle,
    };
  }
  return {
    ...origin,
    format: "message-signature",
    signature: bundle.content.signature,
    ...(bundle.content.messageDigest ? { messageDigest: bundle.content.messageDigest } : {}),
    ...keyHint,
    bundle,
  };
}
