import type { ImageRef } from "../domain/image.ts";
import type { Registry } from "../ports.ts";
import type { SignedImageSignatures } from "../signatures/sources/signature-source-reader.ts";

/**
 * A registry that can read an image's cosign signatures (the `.sig` tag and signature
 * referrers) with the image manifest they are checked against. Optional: a registry without it
 * cannot verify, and a repository that requires signatures fails there with that reason.
 */
export interface SignatureReader {
  readSignatures(ref: ImageRef): Promise<SignedImageSignatures>;
}

export function signatureReaderOf(registry: Registry): SignatureReader | undefined {
  const r = registry as Registry & Partial<SignatureReader>;
  return typeof r.readSignatures === "function" ? (r as Registry & SignatureReader) : undefined;
}
