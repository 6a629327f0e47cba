import type { AllowlistEntry } from "./policy.ts";
import { repositoryMatcher } from "./policy-resolve.ts";

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const NO_ZONE = /T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/;

/**
 * The instant (epoch ms) an entry stops applying. A date alone means 00:00 UTC of that day:
 * `2026-12-31` no longer applies at 2026-12-31T00:00Z, which the policy file documents. A
 * date-time without a zone is read as UTC so the answer never depends on the machine's zone.
 * Anything unparsable gives NaN, which is never after `now`: the entry counts as expired (the
 * policy loader rejects such values long before this).
 */
export function allowlistExpiry(expires: string): number {
  const s = expires.trim();
  if (DATE_ONLY.test(s)) return Date.parse(`${s}T00:00:00Z`);
  return Date.parse(NO_ZONE.test(s) ? `${s}Z` : s);
}

/**
 * Compiled repository scopes, shared across evaluations: compiling a glob costs far more than
 * judging a finding, and a policy has few distinct scopes. Bounded so a long-lived process that
 * sees many policies cannot grow it without limit.
 */
const scopes = new Map<string, (repository: string) => boolean>();
const MAX_SCOPES = 512;

function inScope(globs: readonly string[], repository: string): boolean {
  const key = globs.join("\u0000");
  let test = scopes.get(key);
  if (!test) {
    if (scopes.size >= MAX_SCOPES) scopes.clear();
    test = repositoryMatcher(globs);
    scopes.set(key, test);
  }
  return test(repository);
}

/** What the allowlist says about one finding id. */
export interface AllowlistHit {
  /** The first entry, in policy order, that applies now. */
  active: AllowlistEntry | undefined;
  /** Entries for the id that have expired: reported, never suppressing. */
  expired: AllowlistEntry[];
}

/**
 * Lowercased id → hit, built once per evaluation so each finding costs one map lookup.
 * Entries scoped to other repositories are left out. The policy resolver already filters them;
 * checking again keeps a hand-built or replayed policy from leaking an exception across
 * repositories.
 */
export function indexAllowlist(
  entries: readonly AllowlistEntry[],
  repository: string,
  now: Date,
): Map<string, AllowlistHit> {
  const nowMs = now.getTime();
  const index = new Map<string, AllowlistHit>();
  for (const entry of entries) {
    if (entry.repositories && !inScope(entry.repositories, repository)) continue;
    const key = entry.id.trim().toLowerCase();
    let hit = index.get(key);
    if (!hit) {
      hit = { active: undefined, expired: [] };
      index.set(key, hit);
    }
    if (nowMs < allowlistExpiry(entry.expires)) hit.active ??= entry;
    else hit.expired.push(entry);
  }
  return index;
}
