import { describe, expect, it } from "vitest";
import { MemoryAuditLog } from "../../shared/adapters/memory/memory-audit-log.ts";
import { MemoryRetentionRegistry } from "../../shared/adapters/memory/memory-retention-registry.ts";
import { imageKey, repositoryKey } from "../../shared/domain/image.ts";
import type { RepositoryInventory } from "../../shared/domain/retention-inventory.ts";
import type { RetentionPlan } from "../../shared/domain/retention-plan.ts";
import { applyPlan } from "../../shared/retention/apply-plan.ts";
import type { RetentionProgress } from "../../shared/retention/retention-progress.ts";
import {
  artifact,
  CountingAudit,
  digest,
  inventory,
  planFor,
  planOf,
  REGION,
  REGISTRY_ID,
  silentLog,
  steppingClock,
} from "../support/retention-apply-fixtures.ts";

function setup(inventories: RepositoryInventory[]) {
  const registry = new MemoryRetentionRegistry("ecr", REGISTRY_ID, inventories);
  const clock = steppingClock();
  const memory = new MemoryAuditLog({ clock });
  const audit = new CountingAudit(memory);
  return { registry, memory, audit, deps: { registry, audit, log: silentLog, clock } };
}

const digestsOf = (inv: RepositoryInventory) => inv.artifacts.map((a) => a.digest).sort();

describe("applyPlan", () => {
  it("deletes exactly the planned deletions, audits each one, and counts bytes", async () => {
    const api = inventory("team-a/api", [
      artifact(1, ["v3"]),
      artifact(2, ["v2"]),
      artifact(3, ["v1", "old"]),
      artifact(4),
    ]);
    const web = inventory("team-b/web", [artifact(10, ["latest"]), artifact(11, ["v0"])]);
    const { registry, memory, deps } = setup([api, web]);
    const plan = planOf([
      planFor(api, [digest(3), digest(4)]),
      planFor(web, new Map([[digest(11), "untagged-expired"]])),
    ]);
    const events: RetentionProgress[] = [];

    const result = await applyPlan(plan, deps, { onProgress: (e) => events.push(e) });

    expect(result).toMatchObject({
      planId: "plan-1",
      deleted: 3,
      alreadyGone: 0,
      resumed: 0,
      failed: [],
      skipped: [],
      bytesReclaimed: 1003 + 1004 + 1011,
    });
    expect(registry.deletions.map((d) => d.digest).sort()).toEqual(
      [digest(3), digest(4), digest(11)].sort(),
    );
    const [apiNow, webNow] = registry.snapshot();
    expect(digestsOf(apiNow as RepositoryInventory)).toEqual([digest(1), digest(2)]);
    expect(digestsOf(webNow as RepositoryInventory)).toEqual([digest(10)]);

    const records = memory.all();
    expect(records).toHaveLength(3);
    const r3 = records.find((r) => r.digest === digest(3));
    const ref = { registry: "ecr" as const, registryId: REGISTRY_ID, repository: "team-a/api" };
    expect(r3).toMatchObject({
      imageKey: imageKey({ ...ref, digest: digest(3) }),
      repositoryKey: repositoryKey(ref),
      action: "image-deleted",
      eventType: "retention-applied",
      eventId: "retention:plan-1",
      tags: ["v1", "old"],
      policyVersion: "policy00v1",
      detail: {
        planId: "plan-1",
        reason: "not-retained",
        rule: { index: 0, template: "latestPushedK" },
        sizeBytes: 1003,
        outcome: "deleted",
        region: REGION,
      },
    });
    const r11 = records.find((r) => r.digest === digest(11));
    expect(r11?.detail).toMatchObject({ reason: "untagged-expired", sizeBytes: 1011 });
    expect(r11?.detail).not.toHaveProperty("rule");

    const done = events.filter((e) => e.kind === "repository-done").map((e) => e.repository);
    expect(done.sort()).toEqual(["team-a/api", "team-b/web"]);
    const apiDeleted = events.filter((e) => e.kind === "deleted" && e.repository === "team-a/api");
    expect(apiDeleted.at(-1)).toEqual({
      kind: "deleted",
      repository: "team-a/api",
      done: 2,
      total: 2,
    });
  });

  it("touches nothing outside the plan: other repositories are not read, kept digests not sent", async () => {
    const api = inventory("api", [artifact(1, ["a"]), artifact(2, ["b"]), artifact(3)]);
    const other = inventory("other", [artifact(9)]);
    const { registry, deps } = setup([api, other]);
    await applyPlan(planOf([planFor(api, [digest(3)])]), deps);
    expect(registry.inventoryCalls).toEqual(["api"]);
    expect(registry.deleteCalls).toEqual([{ repository: "api", digests: [digest(3)] }]);
    expect(registry.has("other", digest(9))).toBe(true);
  });

  it("makes no registry or audit call for a repository with nothing to delete", async () => {
    const api = inventory("api", [artifact(1, ["a"])]);
    const { registry, audit, deps } = setup([api]);
    const result = await applyPlan(planOf([planFor(api, [])]), deps);
    expect(result.deleted).toBe(0);
    expect(registry.inventoryCalls).toEqual([]);
    expect(audit.finds + audit.appends).toBe(0);
  });

  it("keeps audit cost to one find and one append per deletion", async () => {
    const arts = Array.from({ length: 40 }, (_, i) => artifact(i + 1, i < 5 ? [`v${i}`] : []));
    const api = inventory("api", arts);
    const { audit, deps } = setup([api]);
    const dels = arts.slice(5).map((a) => a.digest);
    await applyPlan(planOf([planFor(api, dels)]), deps);
    expect(audit.finds).toBe(35);
    expect(audit.appends).toBe(35);
  });

  it("reports registry failures with their codes, never throws, and audits only what went", async () => {
    const api = inventory("api", [artifact(1, ["a"]), artifact(2), artifact(3)]);
    const { registry, memory, deps } = setup([api]);
    registry.failOn(digest(2), "ImageReferencedByManifestList", "referenced by an index");
    const result = await applyPlan(planOf([planFor(api, [digest(2), digest(3)])]), deps);
    expect(result.deleted).toBe(1);
    expect(result.failed).toEqual([
      {
        repository: "api",
        digest: digest(2),
        code: "ImageReferencedByManifestList",
        message: "referenced by an index",
      },
    ]);
    expect(memory.all().map((r) => r.digest)).toEqual([digest(3)]);
    expect(registry.has("api", digest(2))).toBe(true);
  });

  it("reports a repository whose inventory fails and goes on with the others", async () => {
    const api = inventory("api", [artifact(1)]);
    const web = inventory("web", [artifact(2)]);
    const { registry, deps } = setup([web]);
    const result = await applyPlan(
      planOf([planFor(api, [digest(1)]), planFor(web, [digest(2)])]),
      deps,
    );
    expect(result.failed).toEqual([
      expect.objectContaining({
        repository: "api",
        digest: digest(1),
        code: "REPOSITORY_NOT_FOUND",
      }),
    ]);
    expect(result.deleted).toBe(1);
    expect(registry.has("web", digest(2))).toBe(false);
  });

  it("refuses a repository plan made for another registry", async () => {
    const api = inventory("api", [artifact(1), artifact(2)]);
    const { registry, audit, deps } = setup([api]);
    const rp = { ...planFor(api, [digest(1)]), registryId: "999999999999" };
    const result = await applyPlan(planOf([rp]), deps);
    expect(result.failed).toEqual([
      expect.objectContaining({ digest: digest(1), code: "REGISTRY_MISMATCH" }),
    ]);
    expect(registry.inventoryCalls).toEqual([]);
    expect(registry.deleteCalls).toEqual([]);
    expect(audit.finds).toBe(0);
  });

  it("deletes nothing when the audit log cannot be read", async () => {
    const api = inventory("api", [artifact(1), artifact(2)]);
    const { registry, audit, deps } = setup([api]);
    audit.failFinds = true;
    const result = await applyPlan(planOf([planFor(api, [digest(1), digest(2)])]), deps);
    expect(registry.deleteCalls).toEqual([]);
    expect(result.failed.map((f) => f.code)).toEqual(["AUDIT_UNAVAILABLE", "AUDIT_UNAVAILABLE"]);
  });

  it("skips a plan entry that also keeps the digest, and deletes a repeated entry once", async () => {
    const api = inventory("api", [artifact(1, ["a"]), artifact(2)]);
    const rp = planFor(api, [digest(2)]);
    const kept = rp.artifacts[0];
    const dup = rp.artifacts[1];
    if (!kept || !dup) throw new Error("fixture");
    rp.artifacts.push({ ...kept, decision: "delete", reason: "not-retained" }, { ...dup });
    const { registry, deps } = setup([api]);
    const result = await applyPlan(planOf([rp]), deps);
    expect(registry.deleteCalls).toEqual([{ repository: "api", digests: [digest(2)] }]);
    expect(result.skipped).toEqual([
      { repository: "api", digest: digest(1), why: "the plan also keeps this digest" },
    ]);
    expect(registry.has("api", digest(1))).toBe(true);
  });

  it("applies repositories concurrently up to the limit, results in plan order", async () => {
    const invs = Array.from({ length: 9 }, (_, r) =>
      inventory(`repo-${r}`, [artifact(r * 10 + 1, ["keep"]), artifact(r * 10 + 2)]),
    );
    const { registry, deps } = setup(invs);
    let inFlight = 0;
    let peak = 0;
    const slow = {
      kind: registry.kind,
      registryId: registry.registryId,
      listRepositories: () => registry.listRepositories(),
      inventory: async (repo: string) => {
        inFlight += 1;
        peak = Math.max(peak, inFlight);
        // Later repositories answer sooner: completion order is the reverse of plan order.
        await new Promise((r) => setTimeout(r, 2 * (10 - Number(repo.slice(5)))));
        inFlight -= 1;
        return registry.inventory(repo);
      },
      deleteManifests: registry.deleteManifests.bind(registry),
    };
    for (const r of [0, 4, 8]) registry.failOn(digest(r * 10 + 2), "X");
    const result = await applyPlan(
      planOf(invs.map((inv) => planFor(inv, [inv.artifacts[1]?.digest as string]))),
      { ...deps, registry: slow },
      { concurrency: 3 },
    );
    expect(peak).toBe(3);
    expect(result.repositories.map((r) => r.repository)).toEqual(invs.map((i) => i.repository));
    expect(result.failed.map((f) => f.repository)).toEqual(["repo-0", "repo-4", "repo-8"]);
    expect(result.deleted).toBe(6);
  });
});

describe("applyPlan stale check", () => {
  function base() {
    const index = artifact(1, ["multi"], { children: [digest(2), digest(3)] });
    return inventory("api", [
      index,
      artifact(2),
      artifact(3),
      artifact(4, ["v4"]),
      artifact(5),
      artifact(6),
    ]);
  }

  it("skips a digest re-tagged since the plan and keeps it", async () => {
    const inv = base();
    const { registry, memory, deps } = setup([inv]);
    const plan = planOf([planFor(inv, [digest(4), digest(5)])]);
    registry.retag("api", digest(4), ["v4", "prod"]);
    const result = await applyPlan(plan, deps);
    expect(result.deleted).toBe(1);
    expect(result.skipped).toHaveLength(1);
    expect(result.skipped[0]?.digest).toBe(digest(4));
    expect(result.skipped[0]?.why).toMatch(/changed since the plan: tags now \[prod, v4\]/);
    expect(registry.has("api", digest(4))).toBe(true);
    expect(memory.all().map((r) => r.digest)).toEqual([digest(5)]);
  });

  it("skips a digest that a kept index, or one pushed since the plan, now lists", async () => {
    const inv = base();
    const { registry, deps } = setup([inv]);
    const plan = planOf([planFor(inv, [digest(5), digest(6)])]);
    registry.push("api", artifact(7, ["new"], { children: [digest(6)] }));
    // The kept index 1 is replaced by one that also lists 5 (same digest: a test shortcut).
    registry.push("api", artifact(1, ["multi"], { children: [digest(2), digest(3), digest(5)] }));
    const result = await applyPlan(plan, deps);
    expect(result.deleted).toBe(0);
    expect(result.skipped.map((s) => [s.digest, s.why])).toEqual([
      [digest(5), `changed since the plan: listed by index ${digest(1)}, which the plan keeps`],
      [
        digest(6),
        `changed since the plan: listed by index ${digest(7)}, which was pushed after the plan`,
      ],
    ]);
    expect(registry.deleteCalls).toEqual([]);
  });

  it("counts a digest already missing as already-gone without a delete call, and audits it", async () => {
    const inv = base();
    const { registry, memory, deps } = setup([inv]);
    const plan = planOf([planFor(inv, [digest(5), digest(6)])]);
    await registry.deleteManifests("api", [digest(5)]);
    registry.deleteCalls.length = 0;
    const result = await applyPlan(plan, deps);
    expect(result).toMatchObject({ deleted: 1, alreadyGone: 1, bytesReclaimed: 1006 });
    expect(registry.deleteCalls).toEqual([{ repository: "api", digests: [digest(6)] }]);
    const gone = memory.all().find((r) => r.digest === digest(5));
    expect(gone?.detail).toMatchObject({ outcome: "already-gone" });
  });

  it("deletes an index before its children, in separate calls", async () => {
    const inv = base();
    const { registry, deps } = setup([inv]);
    const dels = new Map([
      [digest(1), "not-retained" as const],
      [digest(2), "child-of-deleted-index" as const],
      [digest(3), "child-of-deleted-index" as const],
      [digest(5), "untagged-expired" as const],
    ]);
    const result = await applyPlan(planOf([planFor(inv, dels)]), deps);
    expect(result.deleted).toBe(4);
    expect(registry.deleteCalls).toEqual([
      { repository: "api", digests: [digest(1), digest(5)] },
      { repository: "api", digests: [digest(2), digest(3)] },
    ]);
  });

  it("keeps the children when their index fails to delete", async () => {
    const inv = base();
    const { registry, deps } = setup([inv]);
    registry.failOn(digest(1), "ServerException");
    const dels = new Map([
      [digest(1), "not-retained" as const],
      [digest(2), "child-of-deleted-index" as const],
      [digest(3), "child-of-deleted-index" as const],
    ]);
    const result = await applyPlan(planOf([planFor(inv, dels)]), deps);
    expect(result.failed.map((f) => f.digest)).toEqual([digest(1)]);
    expect(result.skipped.map((s) => s.digest)).toEqual([digest(2), digest(3)]);
    expect(result.skipped[0]?.why).toMatch(/its parent .* was not deleted/);
    expect(registry.has("api", digest(2))).toBe(true);
    expect(registry.deleteCalls).toHaveLength(1);
  });

  it("deletes a subject before its referrer and keeps a referrer whose subject stays", async () => {
    const inv = inventory("api", [
      artifact(1, ["v1"]),
      artifact(2, [], { subject: digest(1) }),
      artifact(3),
      artifact(4, [], { subject: digest(3) }),
    ]);
    const { registry, deps } = setup([inv]);
    const dels = new Map([
      [digest(3), "not-retained" as const],
      [digest(4), "subject-deleted" as const],
      // Planned as an orphan, but its subject is present and kept.
      [digest(2), "orphan-referrer" as const],
    ]);
    const result = await applyPlan(planOf([planFor(inv, dels)]), deps);
    expect(registry.deleteCalls.map((c) => c.digests)).toEqual([[digest(3)], [digest(4)]]);
    expect(result.skipped.map((s) => s.digest)).toEqual([digest(2)]);
    expect(result.skipped[0]?.why).toContain(`its subject ${digest(1)} is present`);
  });
});

describe("applyPlan resume", () => {
  function repo() {
    return inventory(
      "api",
      Array.from({ length: 12 }, (_, i) => artifact(i + 1, i < 2 ? [`v${i}`] : [])),
    );
  }
  const planned = (inv: RepositoryInventory) => inv.artifacts.slice(2).map((a) => a.digest);

  it("finishes after a registry crash without a second delete call for what was done", async () => {
    const inv = repo();
    const plan: RetentionPlan = planOf([planFor(inv, planned(inv))]);
    const { registry, memory, deps } = setup([inv]);
    registry.crashAfter(4);
    const first = await applyPlan(plan, deps);
    expect(first.deleted).toBe(4);
    expect(first.failed).toHaveLength(6);
    expect(first.failed[0]?.code).toBe("MEMORY_REGISTRY_CRASH");

    registry.crashAfter(undefined);
    registry.deleteCalls.length = 0;
    const second = await applyPlan(plan, deps);
    expect(second).toMatchObject({ deleted: 6, alreadyGone: 4, resumed: 4, failed: [] });
    const asked = registry.deleteCalls.flatMap((c) => c.digests);
    expect(asked).toEqual(planned(inv).slice(4));
    expect(registry.snapshot()[0]?.artifacts.map((a) => a.digest)).toEqual([digest(1), digest(2)]);
    expect(memory.all()).toHaveLength(10);

    // A third apply of the same plan does nothing at all.
    registry.deleteCalls.length = 0;
    const third = await applyPlan(plan, deps);
    expect(third).toMatchObject({ deleted: 0, alreadyGone: 10, resumed: 10 });
    expect(registry.deleteCalls).toEqual([]);
    expect(memory.all()).toHaveLength(10);
  });

  it("heals a crash between a deletion and its audit record on the next apply", async () => {
    const inv = repo();
    const plan = planOf([planFor(inv, planned(inv))]);
    const { registry, memory, audit, deps } = setup([inv]);
    audit.failAfter = 3;
    const first = await applyPlan(plan, deps);
    // All ten went in one call; three were recorded, seven deleted but not recorded.
    expect(registry.deletions).toHaveLength(10);
    expect(first.deleted).toBe(3);
    expect(first.failed.map((f) => f.code)).toEqual(Array(7).fill("AUDIT_FAILED"));
    expect(first.failed[0]?.message).toMatch(/apply the same plan again/);

    audit.failAfter = undefined;
    registry.deleteCalls.length = 0;
    const second = await applyPlan(plan, deps);
    expect(registry.deleteCalls).toEqual([]);
    expect(second).toMatchObject({ deleted: 0, alreadyGone: 10, resumed: 3, failed: [] });
    expect(memory.all()).toHaveLength(10);
    expect(new Set(memory.all().map((r) => r.digest))).toEqual(new Set(planned(inv)));
  });

  it("stops a repository's later waves when the audit log fails", async () => {
    const inv = inventory("api", [
      artifact(1, [], { children: [digest(2)] }),
      artifact(2),
      artifact(3),
    ]);
    const { registry, audit, deps } = setup([inv]);
    audit.failAfter = 0;
    const dels = new Map([
      [digest(1), "not-retained" as const],
      [digest(3), "not-retained" as const],
      [digest(2), "child-of-deleted-index" as const],
    ]);
    const result = await applyPlan(
      planOf([planFor(inv, dels, [digest(1), digest(3), digest(2)])]),
      deps,
    );
    expect(registry.deleteCalls).toEqual([{ repository: "api", digests: [digest(1), digest(3)] }]);
    expect(result.failed.map((f) => [f.digest, f.code])).toEqual([
      [digest(1), "AUDIT_FAILED"],
      [digest(3), "AUDIT_FAILED"],
      [digest(2), "AUDIT_FAILED"],
    ]);
    expect(result.failed[2]?.message).toMatch(/not attempted/);
  });
});
