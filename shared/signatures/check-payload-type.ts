import { failure, type SignatureFailure } from "./signature-failure.ts";
import { IN_TOTO_PAYLOAD_TYPE } from "./signature-formats.ts";

/** Step (DSSE): the signed payloadType is an in-toto statement; nothing else is read as one. */
export function checkPayloadType(payloadType: string): SignatureFailure | null {
  if (payloadType === IN_TOTO_PAYLOAD_TYPE) return null;
  return failure(
    "PAYLOAD_TYPE_UNSUPPORTED",
    `the envelope carries ${JSON.stringify(payloadType)}, not an in-toto statement (${IN_TOTO_PAYLOAD_TYPE})`,
  );
}
