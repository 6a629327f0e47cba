import * as z from "zod";
import { policyDocumentSchema } from "./policy-schema.ts";

/**
 * JSON Schema (draft 2020-12) for `registry-guard.yaml`, for editors (yaml-language-server) and
 * other tools. Generated from the zod schema so the two cannot drift. The input side is used:
 * what a person may write, with every optional field optional. Refinements that JSON Schema
 * cannot express (real calendar dates, blockAt: null needing maxCounts, glob syntax, a retention
 * rule's parameter matching its template) are only checked by `registry-guard policy validate`.
 */
/** A URN rather than a URL: the schema is shipped with the package, not hosted. */
export const POLICY_SCHEMA_ID = "urn:registry-guard:policy:v1";

export function policyJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(policyDocumentSchema, {
    target: "draft-2020-12",
    io: "input",
    unrepresentable: "any",
  }) as Record<string, unknown>;
  const { $schema, ...rest } = generated;
  return {
    $schema: $schema ?? "https://json-schema.org/draft/2020-12/schema",
    $id: POLICY_SCHEMA_ID,
    title: "registry-guard policy",
    description:
      "registry-guard.yaml: severity gate defaults, ordered per-repository overrides matched by glob, an allowlist of accepted findings with expiry, and retention rules with protections and garbage collection.",
    ...rest,
  };
}
