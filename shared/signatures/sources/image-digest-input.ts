import { DIGEST_RE } from "../../domain/image.ts";
import { SignatureInputError } from "../signature-input-error.ts";

/** Signatures are looked up for a digest only: a tag could move between lookup and verdict. */
export function requireImageDigest(digest: string): string {
  if (!DIGEST_RE.test(digest)) {
    throw new SignatureInputError(`image digest ${digest} is not sha256:<64 hex>`);
  }
  return digest;
}
