/**
 * Port through which a signature source hands over blobs (simple-signing payloads, bundles) of the
 * signature's repository: ECR, an OCI registry, or an OCI layout directory. It must return exactly
 * the bytes whose sha256 is `digest` or throw, and should stop reading past `maxBytes` and throw.
 * A thrown error propagates (a transient registry error is retried by the pipeline, never
 * recorded as "not signed"); the reader re-hashes what it gets all the same.
 */
export type FetchBlob = (digest: string, maxBytes: number) => Promise<Uint8Array>;
