// Reading, parsing (YAML) and validating (zod) the bundled policy file, as functions do at load.
import { readFileSync } from "node:fs";
import { loadPolicy } from "../../shared/domain/policy-load.ts";
import { resolvePolicy } from "../../shared/domain/policy-resolve.ts";

const file = process.env.POLICY_FILE ?? "registry-guard.yaml";
const policy = loadPolicy(readFileSync(file, "utf8"), file);
const resolved = resolvePolicy(policy, "*");

export const handler = async () => resolved.version;
