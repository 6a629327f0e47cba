import type { InTotoStatement } from "./in-toto-statement.ts";
import { failure, type SignatureFailure } from "./signature-failure.ts";

/**
 * Step (DSSE): the statement is a kind the policy accepts as a signature. By default only
 * `cosign sign`'s own predicate: a provenance or SBOM attestation signed by the same key says
 * something else than "this image is approved". ("any" accepts every predicate, which is what
 * `cosign verify` does with bundles.)
 */
export function checkPredicateType(
  statement: InTotoStatement,
  accepted: readonly string[] | "any",
): SignatureFailure | null {
  if (accepted === "any" || accepted.includes(statement.predicateType)) return null;
  return failure(
    "PREDICATE_TYPE_NOT_ACCEPTED",
    `predicateType ${statement.predicateType} is not accepted as a signature (accepted: ${accepted.join(", ")})`,
  );
}
