import picomatch from "picomatch";
import { parseDuration } from "./duration.ts";
import type { AllowlistEntry, GatePolicy, ResolvedPolicy } from "./policy.ts";
import type { LoadedPolicy } from "./policy-load.ts";
import type { AuditSettings, GateSettings } from "./policy-schema.ts";

/**
 * The effective policy for one repository: built-in defaults ← `defaults` ← every matching
 * `repositories[]` rule in file order. Objects merge key by key, arrays and scalars replace,
 * absent keys leave the value below untouched. The order of the file is the only precedence
 * rule, so a reader can resolve a policy by hand from top to bottom.
 */

interface Layer {
  gate?: GateSettings | undefined;
  audit?: AuditSettings | undefined;
}

/** What applies when a field is set nowhere in the file. */
export const BUILTIN_DEFAULTS = {
  gate: {
    blockAt: "CRITICAL",
    ignoreUnfixed: false,
    requireScan: true,
    scanTimeout: "60m",
    onFail: "alert",
  },
  audit: { retentionDays: 400 },
} as const satisfies Layer;

/** picomatch with the policy's options: `*` stops at `/`, `**` crosses it, dot-names match. */
export function repositoryMatcher(
  globs: string | readonly string[],
): (repository: string) => boolean {
  const list = typeof globs === "string" ? [globs] : [...globs];
  const tests = list.map((g) => picomatch(g, { dot: true }));
  return (repository) => tests.some((t) => t(repository));
}

export function resolvePolicy(loaded: LoadedPolicy, repository: string): ResolvedPolicy {
  const { document } = loaded;
  let merged = deepMerge(BUILTIN_DEFAULTS, document.defaults ?? {});
  const matchedRules: string[] = [];
  for (const rule of document.repositories ?? []) {
    const globs = typeof rule.match === "string" ? [rule.match] : rule.match;
    const hits = globs.filter((g) => repositoryMatcher(g)(repository));
    if (hits.length === 0) continue;
    matchedRules.push(...hits);
    merged = deepMerge(merged, { gate: rule.gate, audit: rule.audit });
  }

  const allowlist: AllowlistEntry[] = (document.allowlist ?? [])
    .filter((entry) => !entry.repositories || repositoryMatcher(entry.repositories)(repository))
    .map((entry) => ({
      id: entry.id,
      reason: entry.reason,
      expires: entry.expires,
      ...(entry.repositories ? { repositories: [...entry.repositories] } : {}),
    }));

  return {
    version: loaded.version,
    repository,
    matchedRules,
    gate: toGatePolicy(merged.gate as GateSettings, repository),
    allowlist,
    audit: { retentionDays: (merged.audit as Required<AuditSettings>).retentionDays },
  };
}

function toGatePolicy(gate: GateSettings, repository: string): GatePolicy {
  const maxCounts =
    gate.maxCounts && Object.keys(gate.maxCounts).length > 0 ? { ...gate.maxCounts } : undefined;
  if (!gate.blockAt && !maxCounts) {
    // The schema makes this unreachable (blockAt: null needs maxCounts next to it); fail loudly
    // rather than resolve a gate that can never block.
    throw new Error(
      `Policy for ${repository} has neither blockAt nor maxCounts; the gate could never fail`,
    );
  }
  return {
    ...(gate.blockAt ? { blockAt: gate.blockAt } : {}),
    ...(maxCounts ? { maxCounts } : {}),
    ignoreUnfixed: gate.ignoreUnfixed ?? BUILTIN_DEFAULTS.gate.ignoreUnfixed,
    ...(gate.minScore !== undefined ? { minScore: gate.minScore } : {}),
    requireScan: gate.requireScan ?? BUILTIN_DEFAULTS.gate.requireScan,
    scanTimeoutMinutes: parseDuration(gate.scanTimeout ?? BUILTIN_DEFAULTS.gate.scanTimeout),
    onFail: gate.onFail ?? BUILTIN_DEFAULTS.gate.onFail,
  };
}

type Plain = Record<string, unknown>;

function isPlainObject(value: unknown): value is Plain {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Later wins; objects merge key by key; arrays, scalars and null replace; undefined is "not set". */
export function deepMerge<T extends object>(base: T, override: object): T {
  const out: Plain = { ...(base as Plain) };
  for (const [key, value] of Object.entries(override)) {
    if (value === undefined) continue;
    const below = out[key];
    out[key] = isPlainObject(below) && isPlainObject(value) ? deepMerge(below, value) : value;
  }
  return out as T;
}
