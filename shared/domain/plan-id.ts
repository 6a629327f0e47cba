import { createHash } from "node:crypto";
import { canonicalJson } from "./audit-chain.ts";
import type { PlannedArtifact, RepositoryPlan } from "./retention-plan.ts";

/**
 * A plan's name: the SHA-256 (hex) of canonicalJson({ policyVersion, repositories }), the same
 * canonical JSON the audit trail hashes. `now` is left out: the plan's content, not the moment
 * it was computed, names what an apply run deletes. The JSON is streamed into the hash a slice
 * of artifacts at a time, so a million-artifact plan never exists as one string.
 */
export function planIdOf(policyVersion: string, repositories: readonly RepositoryPlan[]): string {
  const hash = createHash("sha256");
  hash.update(`{"policyVersion":${canonicalJson(policyVersion)},"repositories":[`, "utf8");
  repositories.forEach((repository, r) => {
    const { artifacts, ...rest } = repository;
    // "artifacts" sorts before every other RepositoryPlan key, so it opens the object.
    hash.update(`${r === 0 ? "" : ","}{"artifacts":[`, "utf8");
    for (let from = 0; from < artifacts.length; from += SLICE) {
      const json = artifactsJson(artifacts.slice(from, from + SLICE));
      hash.update(from === 0 ? json : `,${json}`, "utf8");
    }
    const tail = canonicalJson(rest);
    hash.update(tail === "{}" ? "]}" : `],${tail.slice(1)}`, "utf8");
  });
  hash.update("]}", "utf8");
  return hash.digest("hex");
}

const SLICE = 4096;

/**
 * Every key a planned artifact (and its rule) can have, sorted. The planner inserts keys in
 * this order, so JSON.stringify, natively and fast, writes exactly what canonicalJson would;
 * each object is checked first and any other shape takes canonicalJson itself. The type below
 * fails to compile when the plan contract gains a field this list does not name.
 */
export const PLANNED_ARTIFACT_KEYS = [
  "decision",
  "detail",
  "digest",
  "lastPulledAt",
  "pushedAt",
  "reason",
  "role",
  "rule",
  "sizeBytes",
  "tags",
] as const;
const everyFieldNamed: [
  Exclude<keyof PlannedArtifact, (typeof PLANNED_ARTIFACT_KEYS)[number]>,
] extends [never]
  ? true
  : false = true;
void everyFieldNamed;

const ORDER = new Map<string, number>(PLANNED_ARTIFACT_KEYS.map((k, i) => [k, i]));

/** The artifacts' canonical JSON, without the enclosing brackets. */
function artifactsJson(artifacts: readonly PlannedArtifact[]): string {
  if (artifacts.every(inCanonicalShape)) return JSON.stringify(artifacts).slice(1, -1);
  return artifacts.map((a) => canonicalJson(a)).join(",");
}

/** Keys known and already sorted, and nothing JSON.stringify writes unlike canonicalJson. */
function inCanonicalShape(a: PlannedArtifact): boolean {
  let last = -1;
  for (const key of Object.keys(a)) {
    const at = ORDER.get(key);
    if (at === undefined || at <= last) return false;
    last = at;
  }
  if (a.sizeBytes !== undefined && !Number.isFinite(a.sizeBytes)) return false;
  if (a.rule !== undefined) {
    const keys = Object.keys(a.rule);
    if (keys.length !== 2 || keys[0] !== "index" || keys[1] !== "template") return false;
    if (!Number.isFinite(a.rule.index)) return false;
  }
  return true;
}
