import type { InTotoStatement } from "./in-toto-statement.ts";
import { failure, type SignatureFailure } from "./signature-failure.ts";

/**
 * Step (DSSE): one of the statement's subjects is the image, by `digest.sha256` equal to the
 * digest computed from the fetched manifest (cosign's IntotoSubjectClaimVerifier rule). Returns
 * that subject so the reference step can read its name.
 */
export function checkStatementSubject(
  statement: InTotoStatement,
  imageDigest: string,
): InTotoStatement["subjects"][number] | SignatureFailure {
  const hex = imageDigest.slice("sha256:".length);
  const subject = statement.subjects.find((s) => s.digest.sha256 === hex);
  if (subject) return subject;
  const named = statement.subjects.map((s) =>
    s.digest.sha256 ? `sha256:${s.digest.sha256}` : "?",
  );
  return failure(
    "SUBJECT_MISMATCH",
    `the statement is about ${named.join(", ") || "no subject"}, not ${imageDigest}`,
  );
}
