import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MemoryAuditLog } from "../../shared/adapters/memory/memory-audit-log.ts";
import { MemoryRetentionRegistry } from "../../shared/adapters/memory/memory-retention-registry.ts";
import type { PlanContext } from "../../shared/domain/plan-context.ts";
import { planRetention } from "../../shared/domain/plan-retention.ts";
import type { RepositoryInventory } from "../../shared/domain/retention-inventory.ts";
import type { RetentionPlan } from "../../shared/domain/retention-plan.ts";
import type { RetentionPolicy } from "../../shared/domain/retention-policy.ts";
import { applyPlan } from "../../shared/retention/apply-plan.ts";
import { silentLog } from "../support/retention-apply-fixtures.ts";
import {
  inUseArb,
  inventoriesArb,
  PLAN_NOW,
  retentionPolicyArb,
} from "../support/retention-arbitraries.ts";

/*
 * applyPlan over the planner's own arbitraries (nested referrers, legacy cosign tags, indexes,
 * quarantine, in-use digests): the plan is applied exactly, idempotently and resumably.
 */

const scene = inventoriesArb.chain((invs) =>
  fc.record({
    invs: fc.constant(invs),
    policy: retentionPolicyArb,
    inUse: inUseArb(invs),
  }),
);

function ctxOf(policy: RetentionPolicy, inUse: ReadonlySet<string>): PlanContext {
  return { now: PLAN_NOW, policyVersion: "prop", ...(policy.protections.inUse ? { inUse } : {}) };
}

function world(invs: RepositoryInventory[]) {
  const registry = new MemoryRetentionRegistry("ecr", invs[0]?.registryId ?? "r", invs);
  const clock = () => PLAN_NOW;
  const audit = new MemoryAuditLog({ clock });
  return { registry, audit, deps: { registry, audit, log: silentLog, clock } };
}

const key = (repository: string, digest: string) => `${repository}@${digest}`;

function split(plan: RetentionPlan) {
  const del = new Set<string>();
  const keep = new Set<string>();
  for (const rp of plan.repositories) {
    for (const a of rp.artifacts)
      (a.decision === "delete" ? del : keep).add(key(rp.repository, a.digest));
  }
  return { del, keep };
}

const RUNS = { numRuns: 150 };

describe("applyPlan properties (planner arbitraries)", () => {
  it("deletes exactly the planned deletions and nothing kept", async () => {
    await fc.assert(
      fc.asyncProperty(scene, async ({ invs, policy, inUse }) => {
        const plan = planRetention(invs, policy, ctxOf(policy, inUse));
        const { del, keep } = split(plan);
        const { registry, audit, deps } = world(invs);
        const result = await applyPlan(plan, deps, { concurrency: 2 });
        const deleted = registry.deletions.map((d) => key(d.repository, d.digest));
        expect(new Set(deleted)).toEqual(del);
        expect(deleted).toHaveLength(del.size);
        for (const d of deleted) expect(keep.has(d)).toBe(false);
        expect(result).toMatchObject({ deleted: del.size, failed: [], skipped: [] });
        expect(result.bytesReclaimed).toBe(plan.totals.bytesReclaimed);
        expect(audit.all()).toHaveLength(del.size);
      }),
      RUNS,
    );
  });

  it("replanning what is left at the same instant deletes nothing more", async () => {
    await fc.assert(
      fc.asyncProperty(scene, async ({ invs, policy, inUse }) => {
        const ctx = ctxOf(policy, inUse);
        const { registry, deps } = world(invs);
        await applyPlan(planRetention(invs, policy, ctx), deps);
        const again = planRetention(registry.snapshot(), policy, ctx);
        expect(again.totals.deleted).toBe(0);
      }),
      RUNS,
    );
  });

  it("a crash after k deletions, then the same plan again, ends where no crash would", async () => {
    await fc.assert(
      fc.asyncProperty(scene, fc.nat({ max: 25 }), async ({ invs, policy, inUse }, k) => {
        const plan = planRetention(invs, policy, ctxOf(policy, inUse));
        const clean = world(invs);
        await applyPlan(plan, clean.deps);
        const { registry, audit, deps } = world(invs);
        registry.crashAfter(k);
        await applyPlan(plan, deps);
        registry.crashAfter(undefined);
        const second = await applyPlan(plan, deps);
        expect(second.failed).toEqual([]);
        expect(registry.snapshot()).toEqual(clean.registry.snapshot());
        const deleted = registry.deletions.map((d) => key(d.repository, d.digest));
        expect(new Set(deleted).size).toBe(deleted.length);
        expect(audit.all()).toHaveLength(split(plan).del.size);
      }),
      RUNS,
    );
  });

  it("injected failures are reported, not thrown; nothing outside the plan is touched", async () => {
    await fc.assert(
      fc.asyncProperty(
        scene,
        fc.array(fc.nat(), { maxLength: 5 }),
        async ({ invs, policy, inUse }, picks) => {
          const plan = planRetention(invs, policy, ctxOf(policy, inUse));
          const { del } = split(plan);
          const all = invs.flatMap((inv) => inv.artifacts.map((a) => a.digest));
          const { registry, deps } = world(invs);
          const failing = new Set(
            picks.flatMap((p) => (all.length ? [all[p % all.length] as string] : [])),
          );
          for (const d of failing) registry.failOn(d, "InjectedFailure");
          const result = await applyPlan(plan, deps);
          for (const call of registry.deleteCalls) {
            for (const d of call.digests) expect(del.has(key(call.repository, d))).toBe(true);
          }
          for (const f of result.failed) expect(failing.has(f.digest)).toBe(true);
          const settled =
            result.deleted + result.alreadyGone + result.failed.length + result.skipped.length;
          expect(settled).toBe(del.size);
          // What stayed behind a failed parent is skipped, never deleted.
          for (const s of result.skipped) expect(registry.has(s.repository, s.digest)).toBe(true);
        },
      ),
      RUNS,
    );
  });
});
