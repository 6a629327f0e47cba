export type SignatureBlobErrorCode =
  /** The store has no blob with that digest. */
  | "BLOB_MISSING"
  /** Larger than the bound for its kind: refused, never read whole. */
  | "BLOB_TOO_LARGE"
  /** The bytes served hash to another digest: tampered storage or a lying store. */
  | "BLOB_DIGEST_MISMATCH"
  /** The store did not hand the blob over (HTTP status, download failure, not a file). */
  | "BLOB_UNAVAILABLE";

/**
 * A blob a signature source was asked for (a signature payload, a bundle, a manifest in a
 * layout) could not be handed over exactly and within its bound. Thrown, never turned into "not
 * signed": the verification stops, and the pipeline retries or the CLI exits 3.
 */
export class SignatureBlobError extends Error {
  readonly code: SignatureBlobErrorCode;
  readonly digest: string;

  constructor(code: SignatureBlobErrorCode, digest: string, where: string, detail: string) {
    super(`blob ${digest} in ${where}: ${detail}`);
    this.name = "SignatureBlobError";
    this.code = code;
    this.digest = digest;
  }
}
