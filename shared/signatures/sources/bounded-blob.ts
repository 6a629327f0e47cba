import { DIGEST_RE } from "../../domain/image.ts";
import { sha256Digest } from "../sha256-digest.ts";
import { SignatureBlobError } from "./signature-blob-error.ts";

/** Where a blob was asked for, as errors name it (`ecr 123456789012/team-a/api`). */
export interface BlobWhere {
  digest: string;
  where: string;
}

/** Only sha256 blobs can be verified, and an unverified blob is never read. */
export function checkBlobDigest(at: BlobWhere): void {
  if (!DIGEST_RE.test(at.digest)) {
    throw new SignatureBlobError(
      "BLOB_UNAVAILABLE",
      at.digest,
      at.where,
      "only sha256:<64 hex> blobs can be verified, so no other is read",
    );
  }
}

/** Refuses a blob whose declared length (Content-Length, file size) is over the bound. */
export function checkDeclaredSize(at: BlobWhere, declared: number | undefined, max: number): void {
  if (declared !== undefined && declared > max) {
    throw tooLarge(at, `is ${declared} bytes`, max);
  }
}

/** Reads a body chunk by chunk, giving up (and closing it) as soon as it passes `max` bytes. */
export async function readBounded(
  body: AsyncIterable<Uint8Array>,
  at: BlobWhere,
  max: number,
): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  // Leaving the loop early (the throw) closes the stream: the rest is never transferred.
  for await (const chunk of body) {
    size += chunk.length;
    if (size > max) throw tooLarge(at, "has more bytes than that", max);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** The bytes, when they hash to the digest asked for. */
export function verifiedBlob(bytes: Buffer, at: BlobWhere): Buffer {
  const computed = sha256Digest(bytes);
  if (computed !== at.digest) {
    throw new SignatureBlobError(
      "BLOB_DIGEST_MISMATCH",
      at.digest,
      at.where,
      `the bytes served hash to ${computed}; the store holds other content than the digest names`,
    );
  }
  return bytes;
}

function tooLarge(at: BlobWhere, what: string, max: number): SignatureBlobError {
  return new SignatureBlobError(
    "BLOB_TOO_LARGE",
    at.digest,
    at.where,
    `${what}, over the ${max}-byte bound for it; refused without reading it whole`,
  );
}
