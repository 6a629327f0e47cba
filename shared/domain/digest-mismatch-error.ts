import type { ImageRef } from "./image.ts";

/**
 * The manifest bytes the registry served hash to a different digest than the one we were asked
 * about. Never act on such an image: something between the event and the registry is lying.
 */
export class DigestMismatchError extends Error {
  readonly code = "DIGEST_MISMATCH";
  readonly repository: string;
  readonly expected: string;
  readonly computed: string;

  constructor(ref: Pick<ImageRef, "repository" | "digest">, computed: string) {
    super(
      `manifest of ${ref.repository}@${ref.digest} hashes to ${computed}: the registry served ` +
        "different bytes than the digest names; nothing was changed, investigate before retrying",
    );
    this.name = "DigestMismatchError";
    this.repository = ref.repository;
    this.expected = ref.digest;
    this.computed = computed;
  }
}
