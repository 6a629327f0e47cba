import { describe, expect, it } from "vitest";
import { MemoryAuditLog } from "../../shared/adapters/memory/memory-audit-log.ts";
import { MemoryRetentionRegistry } from "../../shared/adapters/memory/memory-retention-registry.ts";
import { assemblePlan, planRepository } from "../../shared/domain/plan-retention.ts";
import { loadPolicy } from "../../shared/domain/policy-load.ts";
import type { RepositoryInventory } from "../../shared/domain/retention-inventory.ts";
import { retentionPolicyOf } from "../../shared/domain/retention-policy-of.ts";
import type { Alert } from "../../shared/ports.ts";
import type { RetentionRegistry } from "../../shared/retention/retention-ports.ts";
import type { RetentionProgress } from "../../shared/retention/retention-progress.ts";
import { RetentionRunError, runRetention } from "../../shared/retention/run-retention.ts";
import {
  artifact,
  inventory,
  REGISTRY_ID,
  silentLog,
  T0,
} from "../support/retention-apply-fixtures.ts";

const KEEP_NEWEST_TWO = `
version: 1
retention:
  rules:
    - keep: latestPushedK
      count: 2
`;

/** Five tagged images per repository; artifact(n) is pushed n days before T0. */
function repos(names: string[]): RepositoryInventory[] {
  return names.map((name, r) =>
    inventory(
      name,
      Array.from({ length: 5 }, (_, i) => artifact(r * 100 + i + 1, [`v${5 - i}`])),
    ),
  );
}

function setup(inventories: RepositoryInventory[], policyText = KEEP_NEWEST_TWO) {
  const registry = new MemoryRetentionRegistry("ecr", REGISTRY_ID, inventories);
  const clock = () => new Date(T0);
  const audit = new MemoryAuditLog({ clock });
  const published: Alert[] = [];
  const alerts = {
    publish: async (a: Alert) => {
      published.push(a);
      return { messageId: "m" };
    },
  };
  const policy = loadPolicy(policyText, "registry-guard.yaml");
  const deps = { registry, audit, log: silentLog, clock, policy, alerts };
  return { registry, audit, published, policy, deps };
}

/** What the planner deletes for these inventories at T0: what apply must delete. */
function plannedDeletions(inventories: RepositoryInventory[], policyText = KEEP_NEWEST_TWO) {
  const loaded = loadPolicy(policyText, "p.yaml");
  const ctx = { now: new Date(T0), policyVersion: loaded.version };
  return inventories.flatMap((inv) =>
    planRepository(inv, retentionPolicyOf(loaded), ctx)
      .artifacts.filter((a) => a.decision === "delete")
      .map((a) => `${inv.repository}@${a.digest}`),
  );
}

const deletedKeys = (r: MemoryRetentionRegistry) =>
  r.deletions.map((d) => `${d.repository}@${d.digest}`).sort();

describe("runRetention", () => {
  it("dry run: plans every repository and writes nothing", async () => {
    const invs = repos(["a/one", "a/two", "b/three"]);
    const { registry, audit, published, deps } = setup(invs);
    const before = registry.snapshot();
    const events: RetentionProgress[] = [];
    const result = await runRetention(deps, { apply: false, onProgress: (e) => events.push(e) });

    expect(result.plan.repositories.map((r) => r.repository)).toEqual([
      "a/one",
      "a/two",
      "b/three",
    ]);
    expect(result.plan.totals.deleted).toBe(plannedDeletions(invs).length);
    expect(result.plan.totals.deleted).toBeGreaterThan(0);
    expect(result.applied).toBeUndefined();
    expect(result.cursor).toBeUndefined();
    expect(result.errors).toEqual([]);
    expect(registry.snapshot()).toEqual(before);
    expect(registry.deleteCalls).toEqual([]);
    expect(audit.all()).toEqual([]);
    expect(published).toEqual([]);
    expect(events[0]).toEqual({ kind: "repositories", total: 3 });
    expect(events.filter((e) => e.kind === "planned")).toHaveLength(3);
    expect(events.filter((e) => e.kind === "repository-done")).toHaveLength(3);
  });

  it("apply: deletes exactly what the plan deletes, audits it per repository plan, one alert", async () => {
    const invs = repos(["a/one", "a/two", "b/three"]);
    const { registry, audit, published, policy, deps } = setup(invs);
    const result = await runRetention(deps, { apply: true });

    expect(deletedKeys(registry)).toEqual(plannedDeletions(invs).sort());
    expect(result.applied).toMatchObject({
      planId: result.plan.planId,
      deleted: result.plan.totals.deleted,
      failed: [],
      skipped: [],
    });
    const records = audit.all();
    expect(records).toHaveLength(result.plan.totals.deleted);
    const ctx = { now: new Date(T0), policyVersion: policy.version };
    for (const rp of result.plan.repositories) {
      const own = assemblePlan([rp], ctx).planId;
      const mine = records.filter((r) => r.repository === rp.repository);
      expect(mine).toHaveLength(rp.deleted);
      for (const r of mine) expect(r.eventId).toBe(`retention:${own}`);
    }
    expect(published).toHaveLength(1);
    expect(result.alert).toBe(published[0]);
    expect(published[0]?.attributes).toEqual({
      eventType: "retention-applied",
      severity: "NONE",
      repository: "*",
      verdict: "pass",
    });
    expect(
      (published[0]?.json as { totals?: { deleted: number } } | undefined)?.totals?.deleted,
    ).toBe(result.plan.totals.deleted);
  });

  it("a second run at the same time deletes nothing", async () => {
    const { registry, deps } = setup(repos(["a/one", "b/two"]));
    await runRetention(deps, { apply: true });
    registry.deleteCalls.length = 0;
    const again = await runRetention(deps, { apply: true });
    expect(again.plan.totals.deleted).toBe(0);
    expect(again.applied?.deleted).toBe(0);
    expect(registry.deleteCalls).toEqual([]);
  });

  it("selects repositories by glob and continues after a cursor", async () => {
    const invs = repos(["a/one", "a/two", "a/x/deep", "b/three"]);
    const { registry, deps } = setup(invs);
    const result = await runRetention(deps, {
      apply: false,
      repositories: ["a/*"],
      after: "a/one",
    });
    expect(result.plan.repositories.map((r) => r.repository)).toEqual(["a/two"]);
    expect(registry.inventoryCalls).toEqual(["a/two"]);
  });

  it("yields: finishes the running repositories and resumes after the cursor, none twice", async () => {
    const names = Array.from({ length: 9 }, (_, i) => `r/${i}`);
    const invs = repos(names);
    const { registry, published, deps } = setup(invs);
    let asked = 0;
    const first = await runRetention(deps, {
      apply: true,
      concurrency: 2,
      shouldYield: () => ++asked > 3,
    });
    expect(first.cursor).toBeDefined();
    const done = first.plan.repositories.map((r) => r.repository);
    expect(done).toEqual(names.slice(0, done.length));
    expect(first.cursor).toBe(done.at(-1));
    expect(done.length).toBeLessThan(names.length);

    const rest = await runRetention(deps, { apply: true, after: first.cursor as string });
    expect(rest.cursor).toBeUndefined();
    expect(rest.plan.repositories.map((r) => r.repository)).toEqual(names.slice(done.length));
    expect([...registry.inventoryCalls].sort()).toEqual(names);
    expect(deletedKeys(registry)).toEqual(plannedDeletions(invs).sort());
    expect(published).toHaveLength(2);
    expect((published[0]?.json as { cursor?: string } | undefined)?.cursor).toBe(first.cursor);
  });

  it("always does at least one repository, so a chain of calls progresses", async () => {
    const { deps } = setup(repos(["a", "b"]));
    const result = await runRetention(deps, { apply: false, shouldYield: () => true });
    expect(result.plan.repositories.map((r) => r.repository)).toEqual(["a"]);
    expect(result.cursor).toBe("a");
  });

  it("reports a failing repository, goes on with the others, and fails the alert", async () => {
    const invs = repos(["a", "c"]);
    const { registry, published, deps } = setup(invs);
    const flaky: RetentionRegistry = {
      kind: registry.kind,
      registryId: registry.registryId,
      listRepositories: async () => ["a", "b", "c"],
      inventory: (r) => registry.inventory(r),
      deleteManifests: (r, d, cb) => registry.deleteManifests(r, d, cb),
    };
    const result = await runRetention({ ...deps, registry: flaky }, { apply: true });
    expect(result.errors).toEqual([
      {
        repository: "b",
        code: "REPOSITORY_NOT_FOUND",
        message: "memory registry: no repository b",
      },
    ]);
    expect(result.plan.repositories.map((r) => r.repository)).toEqual(["a", "c"]);
    expect(deletedKeys(registry)).toEqual(plannedDeletions(invs).sort());
    expect(published[0]?.attributes.verdict).toBe("fail");
    expect(published[0]?.text).toContain("b: REPOSITORY_NOT_FOUND");
  });

  it("sends a retention-planned alert on a dry run only when asked, and never audits it", async () => {
    const { audit, published, deps } = setup(repos(["only/one"]));
    const result = await runRetention(deps, { apply: false, alert: true });
    expect(published).toHaveLength(1);
    expect(published[0]?.attributes).toMatchObject({
      eventType: "retention-planned",
      repository: "only/one",
    });
    expect(result.alert).toBe(published[0]);
    expect(audit.all()).toEqual([]);
  });

  it("applies without an alert when told so", async () => {
    const { registry, published, deps } = setup(repos(["a"]));
    await runRetention(deps, { apply: true, alert: false });
    expect(registry.deletions.length).toBeGreaterThan(0);
    expect(published).toEqual([]);
  });

  it("reports an alert that could not be published instead of throwing", async () => {
    const { deps } = setup(repos(["a"]));
    const alerts = { publish: async () => Promise.reject(new Error("SNS is down")) };
    const result = await runRetention({ ...deps, alerts }, { apply: true });
    expect(result.errors).toEqual([
      { repository: "*", code: "ERROR", message: "summary alert not published: SNS is down" },
    ]);
    expect(result.alert).toBeUndefined();
    expect(result.applied?.deleted).toBeGreaterThan(0);
  });

  const IN_USE = `${KEEP_NEWEST_TWO}
  protections:
    inUse: true
`;

  it("reads the digests in use once per run and never deletes them", async () => {
    const invs = repos(["a", "b"]);
    const { registry, deps } = setup(invs, IN_USE);
    const oldest = invs.map((inv) => inv.artifacts.at(-1)?.digest as string);
    let calls = 0;
    const inUse = {
      name: "test",
      digestsInUse: async () => {
        calls += 1;
        return new Set(oldest);
      },
    };
    const result = await runRetention({ ...deps, inUse }, { apply: true });
    expect(calls).toBe(1);
    for (const [i, inv] of invs.entries()) {
      expect(registry.has(inv.repository, oldest[i] as string)).toBe(true);
    }
    expect(result.applied?.deleted).toBe(4);
  });

  it("refuses to apply when the policy protects digests in use and no provider is given", async () => {
    const { registry, deps } = setup(repos(["a"]), IN_USE);
    await expect(runRetention(deps, { apply: true })).rejects.toBeInstanceOf(RetentionRunError);
    await expect(runRetention(deps, { apply: true })).rejects.toMatchObject({
      code: "IN_USE_PROVIDER_MISSING",
    });
    expect(registry.deleteCalls).toEqual([]);
  });
});
