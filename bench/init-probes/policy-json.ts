// The same policy converted to JSON ahead of time: no YAML parser at load, zod still validates.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { resolvePolicy } from "../../shared/domain/policy-resolve.ts";
import { policyDocumentSchema } from "../../shared/domain/policy-schema.ts";

const file = "registry-guard.json";
const text = readFileSync(file, "utf8");
const document = policyDocumentSchema.parse(JSON.parse(text));
const version = createHash("sha256").update(text, "utf8").digest("hex").slice(0, 12);
const resolved = resolvePolicy({ document, version, fileName: file }, "*");

export const handler = async () => resolved.version;
