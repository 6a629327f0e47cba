import { failure, type SignatureFailure } from "../signature-failure.ts";

/**
 * The payload `{ targetArtifact: { mediaType, digest, size } }` names the image whose digest we
 * computed from the manifest bytes we fetched: a signature of another image never verifies this
 * one, whatever the referrer's `subject` says.
 */
export function checkNotationPayload(
  payload: Uint8Array,
  imageDigest: string,
): SignatureFailure | null {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(payload).toString("utf8"));
  } catch {
    return failure("PAYLOAD_MALFORMED", "the Notation payload is not JSON");
  }
  const target = (json as { targetArtifact?: unknown } | null)?.targetArtifact as
    | { mediaType?: unknown; digest?: unknown; size?: unknown }
    | undefined;
  if (
    typeof target !== "object" ||
    target === null ||
    typeof target.mediaType !== "string" ||
    typeof target.digest !== "string" ||
    typeof target.size !== "number"
  ) {
    return failure(
      "PAYLOAD_MALFORMED",
      "the Notation payload has no targetArtifact descriptor (mediaType, digest, size)",
    );
  }
  if (target.digest !== imageDigest) {
    return failure(
      "DIGEST_MISMATCH",
      `the signature is for ${target.digest}, not for the image ${imageDigest}`,
    );
  }
  return null;
}
