import { failure, type SignatureFailure } from "./signature-failure.ts";

/** Step: a payload (simple-signing blob, DSSE payload) is within the limit before it is parsed or hashed. */
export function checkPayloadSize(
  size: number,
  maxBytes: number,
  what = "payload",
): SignatureFailure | null {
  if (size <= maxBytes) return null;
  return failure(
    "PAYLOAD_TOO_LARGE",
    `the ${what} is ${size} bytes, above the ${maxBytes}-byte limit for a signature`,
  );
}
