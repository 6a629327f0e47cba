import { createHash } from "node:crypto";
import type { RepositoryPlan } from "./retention-plan.ts";

/**
 * A plan's name: SHA-256 (hex) over what an apply acts on — the policy version, each
 * repository's registry and name, and per artifact its digest, role, decision, reason, rule and
 * tags, in plan order. Details, sizes and times are informational (they are derived from the same
 * inputs or only feed the summary), so they are left out; that keeps the id cheap for a
 * million-artifact plan. `now` is left out too: the content, not the moment it was computed,
 * names what an apply run deletes. One JSON array per line, tagged R (repository) or A
 * (artifact): JSON escapes newlines, so the encoding is unambiguous.
 */
export function planIdOf(policyVersion: string, repositories: readonly RepositoryPlan[]): string {
  const hash = createHash("sha256");
  hash.update(JSON.stringify(["registry-guard/plan/1", policyVersion]), "utf8");
  for (const r of repositories) {
    hash.update(
      `\nR${JSON.stringify([r.registry, r.registryId, r.region ?? null, r.repository])}`,
      "utf8",
    );
    for (let from = 0; from < r.artifacts.length; from += SLICE) {
      let lines = "";
      for (const a of r.artifacts.slice(from, from + SLICE)) {
        lines += `\nA${JSON.stringify([a.digest, a.role, a.decision, a.reason, a.rule?.index ?? null, a.tags])}`;
      }
      hash.update(lines, "utf8");
    }
  }
  return hash.digest("hex");
}

const SLICE = 4096;
