import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DynamoDbAuditLog } from "../../shared/adapters/dynamodb/dynamodb-audit-log.ts";
import { MemoryRetentionRegistry } from "../../shared/adapters/memory/memory-retention-registry.ts";
import { imageKey, repositoryKey } from "../../shared/domain/image.ts";
import { applyPlan } from "../../shared/retention/apply-plan.ts";
import {
  createAuditTable,
  type DynaliteHandle,
  documentClient,
  startDynalite,
} from "../support/dynalite.ts";
import {
  artifact,
  digest,
  inventory,
  planFor,
  planOf,
  REGISTRY_ID,
  silentLog,
  steppingClock,
  T0,
} from "../support/retention-apply-fixtures.ts";

let dynamo: DynaliteHandle;
let client: ReturnType<typeof documentClient>;

beforeAll(async () => {
  dynamo = await startDynalite();
  client = documentClient(dynamo.endpoint);
});

afterAll(async () => {
  client?.destroy();
  await dynamo?.stop();
});

async function freshAudit() {
  const tableName = `audit-${randomUUID()}`;
  await createAuditTable(client, tableName);
  const clock = steppingClock();
  return { audit: new DynamoDbAuditLog({ client, tableName, clock, retentionDays: 90 }), clock };
}

/** An index with two children, a signed image, an untagged image, and tagged ones kept. */
function scene() {
  const api = inventory("team-a/api", [
    artifact(1, ["v2"]),
    artifact(2, ["multi"], { children: [digest(3), digest(4)] }),
    artifact(3),
    artifact(4),
    artifact(5, ["v1"]),
    artifact(6, [`sha256-${digest(5).slice(7)}.sig`], { subject: digest(5) }),
    artifact(7),
  ]);
  const web = inventory("team-b/web", [artifact(10, ["latest"]), artifact(11, ["old"])]);
  const dels = new Map([
    [digest(2), "not-retained" as const],
    [digest(5), "not-retained" as const],
    [digest(7), "untagged-expired" as const],
    [digest(3), "child-of-deleted-index" as const],
    [digest(4), "child-of-deleted-index" as const],
    [digest(6), "subject-deleted" as const],
  ]);
  const order = [1, 2, 5, 7, 3, 4, 6].map(digest);
  const plan = planOf([planFor(api, dels, order), planFor(web, [digest(11)])], "it-plan-7f3a");
  return { inventories: [api, web], plan };
}

const ref = (repository: string, n: number) => ({
  registry: "ecr" as const,
  registryId: REGISTRY_ID,
  repository,
  digest: digest(n),
});

describe("applyPlan with the DynamoDB audit log", () => {
  it("writes one chained record per deletion, verifiable, and a rerun writes nothing new", async () => {
    const { audit } = await freshAudit();
    const { inventories, plan } = scene();
    const registry = new MemoryRetentionRegistry("ecr", REGISTRY_ID, inventories);
    // One image already has a chain (its push): the deletion extends it.
    await audit.append({
      imageKey: imageKey(ref("team-a/api", 5)),
      repositoryKey: repositoryKey(ref("team-a/api", 5)),
      repository: "team-a/api",
      digest: digest(5),
      tags: ["v1"],
      action: "push-recorded",
      eventId: "push-1",
      eventType: "image-pushed",
    });
    const deps = { registry, audit, log: silentLog, clock: steppingClock() };

    const first = await applyPlan(plan, deps);
    expect(first).toMatchObject({ deleted: 7, alreadyGone: 0, failed: [], skipped: [] });

    const records = await audit.byEventType("retention-applied", {});
    expect(records.map((r) => r.digest).sort()).toEqual([2, 3, 4, 5, 6, 7, 11].map(digest).sort());
    for (const r of records) {
      expect(r).toMatchObject({ action: "image-deleted", eventId: "retention:it-plan-7f3a" });
    }
    const five = await audit.byImage(imageKey(ref("team-a/api", 5)));
    expect(five.map((r) => [r.seq, r.action])).toEqual([
      [1, "push-recorded"],
      [2, "image-deleted"],
    ]);
    const byRepo = await audit.byRepository(repositoryKey(ref("team-b/web", 0)), {});
    expect(byRepo.map((r) => r.digest)).toEqual([digest(11)]);

    const now = new Date(T0 + 3_600_000);
    const reports = await audit.verifyAll({}, now);
    expect(reports).toHaveLength(7);
    expect(reports.every((r) => r.ok)).toBe(true);

    registry.deleteCalls.length = 0;
    const second = await applyPlan(plan, deps);
    expect(second).toMatchObject({ deleted: 0, alreadyGone: 7, resumed: 7, failed: [] });
    expect(registry.deleteCalls).toEqual([]);
    expect(await audit.byEventType("retention-applied", {})).toHaveLength(7);
    expect((await audit.verifyAll({}, now)).every((r) => r.ok)).toBe(true);
  });

  it("resumes after a crash mid-way: each digest deleted and recorded exactly once", async () => {
    const { audit } = await freshAudit();
    const { inventories, plan } = scene();
    const registry = new MemoryRetentionRegistry("ecr", REGISTRY_ID, inventories);
    const deps = { registry, audit, log: silentLog, clock: steppingClock() };
    registry.crashAfter(3);
    const first = await applyPlan(plan, deps, { concurrency: 1 });
    expect(first.deleted).toBe(3);
    expect(first.failed.length).toBe(4);

    registry.crashAfter(undefined);
    const second = await applyPlan(plan, deps);
    expect(second).toMatchObject({ deleted: 4, resumed: 3, failed: [] });
    const deleted = registry.deletions.map((d) => `${d.repository}@${d.digest}`);
    expect(new Set(deleted).size).toBe(deleted.length);
    expect(deleted).toHaveLength(7);
    const records = await audit.byEventType("retention-applied", {});
    expect(records).toHaveLength(7);
    const reports = await audit.verifyAll({}, new Date(T0 + 3_600_000));
    expect(reports.every((r) => r.ok && r.records === 1)).toBe(true);
  });
});
