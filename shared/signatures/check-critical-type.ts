import { failure, type SignatureFailure } from "./signature-failure.ts";
import { COSIGN_SIGNATURE_TYPE } from "./signature-formats.ts";
import type { SimpleSigningPayload } from "./simplesigning-payload.ts";

/** Step: the payload says it is a cosign container image signature, exactly. */
export function checkCriticalType(payload: SimpleSigningPayload): SignatureFailure | null {
  if (payload.type === COSIGN_SIGNATURE_TYPE) return null;
  return failure(
    "CRITICAL_TYPE_MISMATCH",
    `critical.type is ${JSON.stringify(payload.type)}, not "${COSIGN_SIGNATURE_TYPE}"`,
  );
}
