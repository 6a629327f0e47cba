import fc from "fast-check";
import picomatch from "picomatch";
import { describe, expect, it } from "vitest";
import type { PlanContext } from "../../shared/domain/plan-context.ts";
import { planRetention } from "../../shared/domain/plan-retention.ts";
import type { Artifact, RepositoryInventory } from "../../shared/domain/retention-inventory.ts";
import type { RetentionPlan } from "../../shared/domain/retention-plan.ts";
import type {
  PatternSelector,
  RetentionPolicy,
  RetentionRule,
} from "../../shared/domain/retention-policy.ts";
import {
  inUseArb,
  inventoriesArb,
  PLAN_NOW,
  retentionPolicyArb,
} from "../support/retention-arbitraries.ts";

const DAY = 86_400_000;
const NOW = PLAN_NOW.getTime();
const RUNS = { numRuns: 300 };

/** Inventories, a policy and an in-use set drawn from those inventories. */
const scenarioArb = inventoriesArb.chain((inventories) =>
  fc.record({
    inventories: fc.constant(inventories),
    policy: retentionPolicyArb,
    inUse: inUseArb(inventories),
    seed: fc.integer(),
  }),
);

const ctxOf = (inUse: ReadonlySet<string>): PlanContext => ({
  now: PLAN_NOW,
  policyVersion: "prop",
  inUse,
});

/* ---- an independent, deliberately naive reading of the rules (quadratic is fine here) ---- */

const LEGACY = /^sha256-([0-9a-f]{64})\.(sig|att|sbom)$/;
const matchAny = (patterns: string[], value: string) =>
  patterns.some((p) => picomatch(p, { dot: true })(value));
const selects = (s: PatternSelector, value: string) =>
  s.decoration === "matches" ? matchAny(s.patterns, value) : !matchAny(s.patterns, value);
const subjectsOf = (a: Artifact): string[] =>
  a.subject
    ? [a.subject]
    : a.tags.flatMap((t) => (LEGACY.exec(t) ? [`sha256:${LEGACY.exec(t)?.[1]}`] : []));
const time = (iso: string | null | undefined) =>
  iso === null ? Number.NEGATIVE_INFINITY : iso === undefined ? Number.NaN : Date.parse(iso);

function isProtected(a: Artifact, policy: RetentionPolicy, inUse: ReadonlySet<string>): boolean {
  const p = policy.protections;
  if (a.tags.some((t) => matchAny(p.immutableTags, t))) return true;
  if (a.quarantined) {
    const q = a.quarantinedAt ? Date.parse(a.quarantinedAt) : Number.NaN;
    const expired =
      p.quarantineExpiresAfterDays !== undefined && NOW - q > p.quarantineExpiresAfterDays * DAY;
    if (!expired) return true;
  }
  if (p.inUse && inUse.has(a.digest)) return true;
  const pulled = time(a.lastPulledAt);
  return p.pulledWithinDays !== undefined && pulled >= NOW - p.pulledWithinDays * DAY;
}

/** Digests some rule retains, by Harbor's semantics as docs/retention.md states them. */
function retainedByRules(
  inv: RepositoryInventory,
  policy: RetentionPolicy,
  inUse: ReadonlySet<string>,
): Set<string> {
  const listed = new Set(inv.artifacts.flatMap((a) => a.children ?? []));
  const candidates = inv.artifacts.filter((a) => {
    if (subjectsOf(a).length > 0 || isProtected(a, policy, inUse)) return false;
    const child = listed.has(a.digest);
    if (child) return a.tags.length > 0;
    return inv.manifestsKnown || a.tags.length > 0;
  });
  const out = new Set<string>();
  for (const rule of policy.rules.filter((r) => selects(r.repositorySelector, inv.repository))) {
    const chosen = candidates.filter((a) =>
      a.tags.length === 0
        ? rule.tagSelector.untagged
        : a.tags.some((t) => selects(rule.tagSelector.tags, t)),
    );
    for (const d of evaluate(rule, chosen, inv.pullTimesKnown)) out.add(d);
  }
  return out;
}

function evaluate(rule: RetentionRule, chosen: Artifact[], pullTimesKnown: boolean): string[] {
  const n = rule.param ?? 0;
  const pullRule = rule.template === "latestPulledN" || rule.template === "nDaysSinceLastPull";
  if (rule.template === "always" || (pullRule && !pullTimesKnown))
    return chosen.map((a) => a.digest);
  const t = (a: Artifact) => (pullRule ? time(a.lastPulledAt) : time(a.pushedAt));
  const unknown = chosen.filter((a) => Number.isNaN(t(a))).map((a) => a.digest);
  const known = chosen.filter((a) => !Number.isNaN(t(a)));
  if (rule.template === "latestPushedK" || rule.template === "latestPulledN") {
    const ranked = [...known].sort((a, b) => t(b) - t(a) || (a.digest < b.digest ? -1 : 1));
    return [...unknown, ...ranked.slice(0, n).map((a) => a.digest)];
  }
  return [...unknown, ...known.filter((a) => t(a) >= NOW - n * DAY).map((a) => a.digest)];
}

/* ---- helpers ---- */

function decisionsOf(plan: RetentionPlan): Map<string, "keep" | "delete"> {
  const out = new Map<string, "keep" | "delete">();
  for (const r of plan.repositories)
    for (const a of r.artifacts) out.set(`${r.repository}@${a.digest}`, a.decision);
  return out;
}

function shuffled<T>(items: readonly T[], rand: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

describe("retention planner properties", () => {
  it("nothing a rule or a protection keeps is deleted", () => {
    fc.assert(
      fc.property(scenarioArb, ({ inventories, policy, inUse }) => {
        const plan = planRetention(inventories, policy, ctxOf(inUse));
        const decided = decisionsOf(plan);
        for (const inv of inventories) {
          const retained = retainedByRules(inv, policy, inUse);
          for (const a of inv.artifacts) {
            const decision = decided.get(`${inv.repository}@${a.digest}`);
            if (isProtected(a, policy, inUse))
              expect(decision, `${a.digest} protected`).toBe("keep");
            if (retained.has(a.digest))
              expect(decision, `${a.digest} retained by a rule`).toBe("keep");
          }
        }
      }),
      RUNS,
    );
  });

  it("what the oracle says no rule, protection or relation keeps in a covered repository goes", () => {
    fc.assert(
      fc.property(scenarioArb, ({ inventories, policy, inUse }) => {
        const plan = planRetention(inventories, policy, ctxOf(inUse));
        for (const r of plan.repositories) {
          const inv = inventories.find((i) => i.repository === r.repository) as RepositoryInventory;
          const covered = policy.rules.some((rule) =>
            selects(rule.repositorySelector, inv.repository),
          );
          if (!covered || !inv.manifestsKnown) continue;
          const retained = retainedByRules(inv, policy, inUse);
          for (const a of r.artifacts) {
            if ((a.role === "image" || a.role === "index") && a.decision === "keep") {
              const source = inv.artifacts.find((x) => x.digest === a.digest) as Artifact;
              expect(
                retained.has(a.digest) || isProtected(source, policy, inUse),
                `${a.digest} kept as ${a.reason}`,
              ).toBe(true);
            }
          }
        }
      }),
      RUNS,
    );
  });

  it("no child of a kept index and no referrer of a kept subject is deleted", () => {
    fc.assert(
      fc.property(scenarioArb, ({ inventories, policy, inUse }) => {
        const plan = planRetention(inventories, policy, ctxOf(inUse));
        for (const r of plan.repositories) {
          const inv = inventories.find((i) => i.repository === r.repository) as RepositoryInventory;
          const decision = new Map(r.artifacts.map((a) => [a.digest, a.decision]));
          for (const a of inv.artifacts) {
            if (decision.get(a.digest) !== "keep") continue;
            for (const child of a.children ?? []) {
              if (decision.has(child)) expect(decision.get(child), `child ${child}`).toBe("keep");
            }
          }
          for (const a of inv.artifacts) {
            const kept = subjectsOf(a).some((s) => decision.get(s) === "keep");
            if (kept) expect(decision.get(a.digest), `referrer ${a.digest}`).toBe("keep");
          }
        }
      }),
      RUNS,
    );
  });

  it("deletions come in a safe order: an index before its children, a subject before its referrers", () => {
    fc.assert(
      fc.property(scenarioArb, ({ inventories, policy, inUse }) => {
        const plan = planRetention(inventories, policy, ctxOf(inUse));
        for (const r of plan.repositories) {
          const inv = inventories.find((i) => i.repository === r.repository) as RepositoryInventory;
          const at = new Map(r.artifacts.map((a, i) => [a.digest, i]));
          for (const a of inv.artifacts) {
            for (const child of a.children ?? []) {
              if (at.has(child)) expect(at.get(a.digest)).toBeLessThan(at.get(child) as number);
            }
            for (const s of subjectsOf(a)) {
              if (at.has(s) && s !== a.digest)
                expect(at.get(s)).toBeLessThan(at.get(a.digest) as number);
            }
          }
        }
      }),
      RUNS,
    );
  });

  it("is deterministic: the same input in any order gives the same plan and planId", () => {
    fc.assert(
      fc.property(scenarioArb, ({ inventories, policy, inUse, seed }) => {
        const first = planRetention(inventories, policy, ctxOf(inUse));
        const rand = prng(seed);
        const reordered = shuffled(inventories, rand).map((inv) => ({
          ...inv,
          artifacts: shuffled(inv.artifacts, rand).map((a) => ({
            ...a,
            tags: shuffled(a.tags, rand),
            ...(a.children ? { children: shuffled(a.children, rand) } : {}),
          })),
        }));
        const second = planRetention(reordered, policy, ctxOf(new Set(shuffled([...inUse], rand))));
        expect(second).toEqual(first);
        expect(second.planId).toBe(first.planId);
      }),
      RUNS,
    );
  });

  it("replanning what is left after the plan's deletions, at the same now, deletes nothing", () => {
    fc.assert(
      fc.property(scenarioArb, ({ inventories, policy, inUse }) => {
        const plan = planRetention(inventories, policy, ctxOf(inUse));
        const decided = decisionsOf(plan);
        const left = inventories.map((inv) => ({
          ...inv,
          artifacts: inv.artifacts.filter(
            (a) => decided.get(`${inv.repository}@${a.digest}`) === "keep",
          ),
        }));
        const again = planRetention(left, policy, ctxOf(inUse));
        const deletions = again.repositories.flatMap((r) =>
          r.artifacts
            .filter((a) => a.decision === "delete")
            .map((a) => `${r.repository}@${a.digest} ${a.reason}`),
        );
        expect(deletions).toEqual([]);
      }),
      RUNS,
    );
  });

  it("lists every artifact once and the totals add up", () => {
    fc.assert(
      fc.property(scenarioArb, ({ inventories, policy, inUse }) => {
        const plan = planRetention(inventories, policy, ctxOf(inUse));
        let artifacts = 0;
        let kept = 0;
        let deleted = 0;
        let bytes = 0;
        let unknown = 0;
        for (const r of plan.repositories) {
          const inv = inventories.find((i) => i.repository === r.repository) as RepositoryInventory;
          expect(r.artifacts.map((a) => a.digest).sort()).toEqual(
            inv.artifacts.map((a) => a.digest).sort(),
          );
          const dels = r.artifacts.filter((a) => a.decision === "delete");
          expect(r.deleted).toBe(dels.length);
          expect(r.kept).toBe(r.artifacts.length - dels.length);
          expect(r.bytesReclaimed).toBe(dels.reduce((s, a) => s + (a.sizeBytes ?? 0), 0));
          expect(r.bytesUnknown).toBe(dels.filter((a) => a.sizeBytes === undefined).length);
          for (const a of r.artifacts) {
            expect(a.detail.length).toBeGreaterThan(0);
            expect(Boolean(a.rule)).toBe(
              a.reason === "rule" || (a.reason === "not-retained" && a.rule !== undefined),
            );
          }
          artifacts += r.artifacts.length;
          kept += r.kept;
          deleted += r.deleted;
          bytes += r.bytesReclaimed;
          unknown += r.bytesUnknown;
        }
        expect(plan.totals).toEqual({
          repositories: inventories.length,
          artifacts,
          kept,
          deleted,
          bytesReclaimed: bytes,
          bytesUnknown: unknown,
        });
        expect(plan.totals.kept + plan.totals.deleted).toBe(plan.totals.artifacts);
      }),
      RUNS,
    );
  });
});
