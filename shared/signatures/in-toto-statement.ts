import { failure, type SignatureFailure } from "./signature-failure.ts";
import { IN_TOTO_STATEMENT_TYPES } from "./signature-formats.ts";

/** Invalid UTF-8 becomes U+FFFD, as in Go's decoder. */
const UTF8 = new TextDecoder();

/** An in-toto Statement (v1 or v0.1): what it is about and what kind of claim it makes. */
export interface InTotoStatement {
  type: string;
  subjects: { name?: string; digest: Record<string, string> }[];
  predicateType: string;
}

/** Reads a statement after its envelope's signature verified. */
export function parseInTotoStatement(payload: Uint8Array): InTotoStatement | SignatureFailure {
  let doc: unknown;
  try {
    doc = JSON.parse(UTF8.decode(payload));
  } catch {
    return failure("PAYLOAD_MALFORMED", "the DSSE payload is not JSON");
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    return failure("PAYLOAD_MALFORMED", "the DSSE payload is not a JSON object");
  }
  const d = doc as Record<string, unknown>;
  if (typeof d._type !== "string" || !IN_TOTO_STATEMENT_TYPES.includes(d._type)) {
    return failure(
      "PAYLOAD_MALFORMED",
      `_type ${JSON.stringify(d._type)} is not an in-toto statement (${IN_TOTO_STATEMENT_TYPES.join(", ")})`,
    );
  }
  if (typeof d.predicateType !== "string" || !Array.isArray(d.subject)) {
    return failure("PAYLOAD_MALFORMED", "the statement needs a subject list and a predicateType");
  }
  const subjects: InTotoStatement["subjects"] = [];
  for (const s of d.subject as unknown[]) {
    const digest = (s as { digest?: unknown } | null)?.digest;
    const name = (s as { name?: unknown } | null)?.name;
    if (
      typeof digest !== "object" ||
      digest === null ||
      !Object.values(digest).every((v) => typeof v === "string") ||
      (name !== undefined && typeof name !== "string")
    ) {
      return failure("PAYLOAD_MALFORMED", "a statement subject needs a digest map of strings");
    }
    subjects.push({
      ...(typeof name === "string" ? { name } : {}),
      digest: digest as Record<string, string>,
    });
  }
  return { type: d._type, subjects, predicateType: d.predicateType };
}
