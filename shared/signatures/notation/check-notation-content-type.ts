import { failure, type SignatureFailure } from "../signature-failure.ts";
import type { NotationEnvelope } from "./notation-envelope.ts";
import { NOTATION_PAYLOAD_CONTENT_TYPE } from "./notation-formats.ts";

/** The signed payload is a Notary Project payload (`cty`), not some other signed document. */
export function checkNotationContentType(env: NotationEnvelope): SignatureFailure | null {
  if (env.contentType === NOTATION_PAYLOAD_CONTENT_TYPE) return null;
  return failure(
    "NOTATION_CONTENT_TYPE",
    `the payload content type is ${env.contentType ?? "missing"}, not ${NOTATION_PAYLOAD_CONTENT_TYPE}`,
  );
}
