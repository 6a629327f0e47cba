import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import type { ResolvedPolicy } from "../../shared/domain/policy.ts";
import { loadPolicy } from "../../shared/domain/policy-load.ts";
import { repositoryMatcher, resolvePolicy } from "../../shared/domain/policy-resolve.ts";
import { GATE_SEVERITIES, type GateSeverity } from "../../shared/domain/severity.ts";

const load = (text: string) => loadPolicy(text, "registry-guard.yaml");
const exampleText = readFileSync(
  new URL("../../examples/registry-guard.yaml", import.meta.url),
  "utf8",
);

/** Written by hand, independently of picomatch: the glob semantics docs/policy.md promises. */
const REPOS = [
  "prod",
  "prod/api",
  "prod/api/v2",
  "production/api",
  "sandbox/x",
  "team-a/api",
  "dev/x",
  "other",
  ".hidden/x",
];
const MATCHES: Record<string, string[]> = {
  "**": REPOS,
  "prod/**": ["prod", "prod/api", "prod/api/v2"],
  "prod/*": ["prod/api"],
  "sandbox/*": ["sandbox/x"],
  "team-?/api": ["team-a/api"],
  "{dev,test}/*": ["dev/x"],
  "*": ["prod", "other"],
  ".hidden/*": [".hidden/x"],
  "*/x": ["sandbox/x", "dev/x", ".hidden/x"],
};
const GLOBS = Object.keys(MATCHES);
const matches = (glob: string, repo: string) => (MATCHES[glob] ?? []).includes(repo);

describe("repositoryMatcher", () => {
  it("follows the documented glob table (dot names match, * stays in a segment)", () => {
    for (const glob of GLOBS) {
      for (const repo of REPOS) {
        expect(repositoryMatcher(glob)(repo), `${glob} vs ${repo}`).toBe(matches(glob, repo));
      }
    }
  });
});

describe("resolvePolicy: examples", () => {
  it("uses the built-in defaults when the file sets nothing", () => {
    const resolved = resolvePolicy(load("version: 1\n"), "any/repo");
    expect(resolved.gate).toEqual({
      blockAt: "CRITICAL",
      ignoreUnfixed: false,
      requireScan: true,
      scanTimeoutMinutes: 60,
      onFail: "alert",
    });
    expect(resolved.audit).toEqual({ retentionDays: 400 });
    expect(resolved.matchedRules).toEqual([]);
    expect(resolved.allowlist).toEqual([]);
    expect(resolved.repository).toBe("any/repo");
  });

  it("resolves the docs' worked example from the shipped example file", () => {
    const loaded = load(exampleText);
    const ledger = resolvePolicy(loaded, "prod/payments/ledger");
    expect(ledger.version).toBe(loaded.version);
    expect(ledger.matchedRules).toEqual(["prod/**", "prod/payments/**"]);
    expect(ledger.gate.blockAt).toBeUndefined();
    expect(ledger.gate.maxCounts).toEqual({ CRITICAL: 0, MEDIUM: 20, HIGH: 1 });
    expect(ledger.gate.onFail).toBe("quarantine");
    expect(ledger.gate.scanTimeoutMinutes).toBe(15);

    const api = resolvePolicy(loaded, "prod/api");
    expect(api.gate).toMatchObject({
      blockAt: "HIGH",
      onFail: "quarantine",
      scanTimeoutMinutes: 15,
    });

    const sandbox = resolvePolicy(loaded, "sandbox/tools");
    expect(sandbox.matchedRules).toEqual(["sandbox/*"]);
    expect(sandbox.gate).toMatchObject({ blockAt: "HIGH", onFail: "alert", requireScan: false });

    const other = resolvePolicy(loaded, "team-b/api");
    expect(other.matchedRules).toEqual([]);
    expect(other.gate).toEqual({
      blockAt: "HIGH",
      maxCounts: { CRITICAL: 0, MEDIUM: 20 },
      ignoreUnfixed: false,
      minScore: 4,
      requireScan: true,
      scanTimeoutMinutes: 30,
      onFail: "alert",
    });
  });

  it("later rules win, and a later blockAt switches the threshold back on", () => {
    const text = [
      "version: 1",
      "repositories:",
      "  - match: 'a/**'",
      "    gate: { blockAt: null, maxCounts: { HIGH: 3 }, onFail: quarantine }",
      "  - match: 'a/b'",
      "    gate: { blockAt: LOW, maxCounts: { HIGH: 5, LOW: 9 } }",
      "    audit: { retentionDays: 30 }",
      "",
    ].join("\n");
    const loaded = load(text);
    expect(resolvePolicy(loaded, "a/c").gate).toMatchObject({
      maxCounts: { HIGH: 3 },
      onFail: "quarantine",
    });
    expect(resolvePolicy(loaded, "a/c").gate.blockAt).toBeUndefined();
    const ab = resolvePolicy(loaded, "a/b");
    expect(ab.gate).toMatchObject({
      blockAt: "LOW",
      maxCounts: { HIGH: 5, LOW: 9 },
      onFail: "quarantine",
    });
    expect(ab.audit.retentionDays).toBe(30);
  });

  it("records only the globs of a rule that matched", () => {
    const loaded = load(
      "version: 1\nrepositories:\n  - match: ['sandbox/*', 'tmp/**']\n    gate: { onFail: alert }\n",
    );
    expect(resolvePolicy(loaded, "tmp/a/b").matchedRules).toEqual(["tmp/**"]);
  });

  it("does not let a caller's edits leak into the next resolution", () => {
    const loaded = load(
      "version: 1\ndefaults:\n  gate: { maxCounts: { HIGH: 1 } }\nallowlist:\n  - { id: X, reason: r, expires: 2030-01-01, repositories: ['*'] }\n",
    );
    const first = resolvePolicy(loaded, "a");
    (first.gate.maxCounts as Record<string, number>).HIGH = 99;
    first.allowlist[0]?.repositories?.push("evil");
    const second = resolvePolicy(loaded, "a");
    expect(second.gate.maxCounts).toEqual({ HIGH: 1 });
    expect(second.allowlist[0]?.repositories).toEqual(["*"]);
  });
});

describe("resolvePolicy: allowlist scoping", () => {
  const text = [
    "version: 1",
    "allowlist:",
    "  - { id: CVE-1, reason: everywhere, expires: 2030-01-01 }",
    "  - { id: CVE-2, reason: team a, expires: 2030-01-01, repositories: ['team-a/*'] }",
    "  - { id: CVE-3, reason: expired, expires: 2020-01-01, repositories: ['team-a/*', 'prod/**'] }",
    "  - { id: CVE-2, reason: 'same id, prod scope', expires: 2030-01-01, repositories: ['prod/**'] }",
    "",
  ].join("\n");

  it("keeps unscoped entries and those whose globs match, expired ones included, in file order", () => {
    const loaded = load(text);
    const ids = (repo: string) =>
      resolvePolicy(loaded, repo).allowlist.map((e) => `${e.id}:${e.reason}`);
    expect(ids("team-a/api")).toEqual(["CVE-1:everywhere", "CVE-2:team a", "CVE-3:expired"]);
    expect(ids("prod/api")).toEqual([
      "CVE-1:everywhere",
      "CVE-3:expired",
      "CVE-2:same id, prod scope",
    ]);
    expect(ids("team-b/api")).toEqual(["CVE-1:everywhere"]);
  });

  it("returns entries as written (id, reason, expires, repositories)", () => {
    const [entry] = resolvePolicy(load(text), "team-b/api").allowlist;
    expect(entry).toEqual({ id: "CVE-1", reason: "everywhere", expires: "2030-01-01" });
  });
});

// ---------------------------------------------------------------- properties

const SCAN_TIMEOUTS: Record<string, number> = {
  "90s": 1.5,
  "30m": 30,
  "2h": 120,
  "1d": 1440,
  "1h30m": 90,
};

type Gate = {
  blockAt?: GateSeverity | null;
  maxCounts?: Partial<Record<"CRITICAL" | "HIGH" | "MEDIUM" | "LOW", number>>;
  ignoreUnfixed?: boolean;
  minScore?: number;
  requireScan?: boolean;
  scanTimeout?: string;
  onFail?: "alert" | "quarantine";
};
type Rule = { match: string | string[]; gate?: Gate; audit?: { retentionDays?: number } };
type Doc = { defaults: { gate?: Gate; audit?: { retentionDays?: number } }; repositories: Rule[] };

const count = fc.integer({ min: 0, max: 5 });
const gateArb: fc.Arbitrary<Gate> = fc
  .record(
    {
      blockAt: fc.constantFrom<GateSeverity | null>(...GATE_SEVERITIES, null),
      maxCounts: fc.record(
        { CRITICAL: count, HIGH: count, MEDIUM: count, LOW: count },
        { requiredKeys: [] },
      ),
      ignoreUnfixed: fc.boolean(),
      minScore: fc.integer({ min: 0, max: 100 }).map((n) => n / 10),
      requireScan: fc.boolean(),
      scanTimeout: fc.constantFrom(...Object.keys(SCAN_TIMEOUTS)),
      onFail: fc.constantFrom<"alert" | "quarantine">("alert", "quarantine"),
    },
    { requiredKeys: [] },
  )
  .map((g) => {
    // The schema only allows blockAt: null next to a non-empty maxCounts.
    if (g.blockAt === null && Object.keys(g.maxCounts ?? {}).length === 0) {
      const { blockAt: _dropped, ...rest } = g;
      return rest;
    }
    return g;
  });
const auditArb = fc.record(
  { retentionDays: fc.integer({ min: 1, max: 3650 }) },
  { requiredKeys: [] },
);
const matchArb = fc.oneof(
  fc.constantFrom(...GLOBS),
  fc.uniqueArray(fc.constantFrom(...GLOBS), { minLength: 1, maxLength: 3 }),
);
const ruleArb: fc.Arbitrary<Rule> = fc.record(
  { match: matchArb, gate: gateArb, audit: auditArb },
  { requiredKeys: ["match"] },
);
const docArb: fc.Arbitrary<Doc> = fc.record({
  defaults: fc.record({ gate: gateArb, audit: auditArb }, { requiredKeys: [] }),
  repositories: fc.array(ruleArb, { maxLength: 8 }),
});

const globsOf = (rule: Rule) => (typeof rule.match === "string" ? [rule.match] : rule.match);
const toText = (doc: Doc) => stringify({ version: 1, ...doc });

/** The specification, field by field: start from the built-ins and let each layer overwrite. */
function expected(doc: Doc, repo: string): Omit<ResolvedPolicy, "version" | "allowlist"> {
  const matching = doc.repositories.filter((r) => globsOf(r).some((g) => matches(g, repo)));
  let blockAt: GateSeverity | null = "CRITICAL";
  const maxCounts: Record<string, number> = {};
  let ignoreUnfixed = false;
  let minScore: number | undefined;
  let requireScan = true;
  let scanTimeout = "60m";
  let onFail: "alert" | "quarantine" = "alert";
  let retentionDays = 400;
  for (const layer of [doc.defaults, ...matching]) {
    const g = layer.gate ?? {};
    if (g.blockAt !== undefined) blockAt = g.blockAt;
    for (const [k, v] of Object.entries(g.maxCounts ?? {})) maxCounts[k] = v;
    if (g.ignoreUnfixed !== undefined) ignoreUnfixed = g.ignoreUnfixed;
    if (g.minScore !== undefined) minScore = g.minScore;
    if (g.requireScan !== undefined) requireScan = g.requireScan;
    if (g.scanTimeout !== undefined) scanTimeout = g.scanTimeout;
    if (g.onFail !== undefined) onFail = g.onFail;
    if (layer.audit?.retentionDays !== undefined) retentionDays = layer.audit.retentionDays;
  }
  return {
    repository: repo,
    matchedRules: matching.flatMap((r) => globsOf(r).filter((g) => matches(g, repo))),
    gate: {
      ...(blockAt !== null ? { blockAt } : {}),
      ...(Object.keys(maxCounts).length > 0 ? { maxCounts } : {}),
      ignoreUnfixed,
      ...(minScore !== undefined ? { minScore } : {}),
      requireScan,
      scanTimeoutMinutes: SCAN_TIMEOUTS[scanTimeout] ?? 60,
      onFail,
    },
    audit: { retentionDays },
  };
}

describe("resolvePolicy: properties", () => {
  it("equals folding defaults and every matching override in file order", () => {
    fc.assert(
      fc.property(docArb, fc.constantFrom(...REPOS), (doc, repo) => {
        const { version: _v, allowlist: _a, ...actual } = resolvePolicy(load(toText(doc)), repo);
        expect(actual).toEqual(expected(doc, repo));
        expect(actual.gate.blockAt !== undefined || actual.gate.maxCounts !== undefined).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it("is unaffected by overrides that do not match the repository, wherever they are", () => {
    const noise = (repo: string) =>
      fc.record(
        {
          match: fc.uniqueArray(
            fc.constantFrom(...GLOBS.filter((g) => !matches(g, repo)), "nowhere/**"),
            {
              minLength: 1,
              maxLength: 3,
            },
          ),
          gate: gateArb,
          audit: auditArb,
        },
        { requiredKeys: ["match"] },
      );
    const scenario = fc
      .constantFrom(...REPOS)
      .chain((repo) =>
        fc.tuple(
          fc.constant(repo),
          docArb,
          fc.array(fc.tuple(noise(repo), fc.nat()), { minLength: 1, maxLength: 5 }),
        ),
      );
    fc.assert(
      fc.property(scenario, ([repo, doc, extras]) => {
        const rules = [...doc.repositories];
        for (const [rule, at] of extras) rules.splice(at % (rules.length + 1), 0, rule);
        const withNoise = resolvePolicy(load(toText({ ...doc, repositories: rules })), repo);
        const without = resolvePolicy(load(toText(doc)), repo);
        expect({ ...withNoise, version: "" }).toEqual({ ...without, version: "" });
      }),
      { numRuns: 200 },
    );
  });
});
