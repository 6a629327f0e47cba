import { randomUUID } from "node:crypto";
import { GetCommand, QueryCommand, ScanCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { AUDIT_TABLE } from "../../shared/adapters/dynamodb/audit-table.ts";
import {
  AuditQueryError,
  AuditStoreError,
} from "../../shared/adapters/dynamodb/dynamodb-audit-errors.ts";
import { DynamoDbAuditLog } from "../../shared/adapters/dynamodb/dynamodb-audit-log.ts";
import { hashRecord } from "../../shared/domain/audit-chain.ts";
import type { AuditRecord, AuditRecordInput } from "../../shared/domain/audit-record.ts";
import { imageKey, repositoryKey } from "../../shared/domain/image.ts";
import {
  createAuditTable,
  type DynaliteHandle,
  documentClient,
  startDynalite,
} from "../support/dynalite.ts";

const RETENTION_DAYS = 90;
const T0 = Date.parse("2024-06-01T12:00:00.000Z");

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

/** A fresh table and a store whose clock moves one second per reading. */
async function freshStore(opts: { tick?: number } = {}) {
  const tableName = `audit-${randomUUID()}`;
  await createAuditTable(client, tableName);
  let t = T0;
  const clock = () => {
    const now = new Date(t);
    t += opts.tick ?? 1000;
    return now;
  };
  const log = new DynamoDbAuditLog({ client, tableName, clock, retentionDays: RETENTION_DAYS });
  return { log, tableName };
}

function image(repository: string, hexChar: string) {
  return {
    registry: "ecr" as const,
    registryId: "123456789012",
    repository,
    digest: `sha256:${hexChar.repeat(64)}`,
    tags: ["v1"],
  };
}

function input(
  img: ReturnType<typeof image>,
  over: Partial<AuditRecordInput> = {},
): AuditRecordInput {
  return {
    imageKey: imageKey(img),
    repositoryKey: repositoryKey(img),
    repository: img.repository,
    digest: img.digest,
    tags: img.tags,
    action: "push-recorded",
    eventId: randomUUID(),
    eventType: "image-pushed",
    ...over,
  };
}

async function countItems(tableName: string): Promise<number> {
  const out = await client.send(new ScanCommand({ TableName: tableName, Select: "COUNT" }));
  return out.Count ?? 0;
}

describe("DynamoDbAuditLog.append", () => {
  it("builds a hash chain per image and keeps a head pointer", async () => {
    const { log } = await freshStore();
    const app = image("app", "a");
    const a = await log.append(input(app, { action: "push-recorded" }));
    const b = await log.append(
      input(app, { action: "gate-evaluated", verdict: "fail", reasons: ["CVE-1"] }),
    );
    const other = await log.append(input(image("app", "b")));

    expect(a).toMatchObject({ duplicate: false, record: { seq: 1, prevHash: "" } });
    expect(b).toMatchObject({ duplicate: false, record: { seq: 2, prevHash: a.record.hash } });
    expect(other.record).toMatchObject({ seq: 1, prevHash: "" });
    expect(b.record.hash).toBe(hashRecord(b.record.prevHash, b.record));

    const stored = await log.byImage(imageKey(app));
    expect(stored).toEqual([a.record, b.record]);
    expect((await log.verifyImage(imageKey(app), new Date(T0))).ok).toBe(true);
  });

  it("writes nothing for a duplicate (same eventId and action) and returns the first record", async () => {
    const { log, tableName } = await freshStore();
    const app = image("app", "a");
    const first = await log.append(input(app, { eventId: "evt-1", action: "push-recorded" }));
    const before = await countItems(tableName);

    const again = await log.append(
      input(app, { eventId: "evt-1", action: "push-recorded", tags: ["x"] }),
    );
    expect(again).toEqual({ record: first.record, duplicate: true });
    expect(await countItems(tableName)).toBe(before);

    // Same event, another action: a new record.
    const next = await log.append(input(app, { eventId: "evt-1", action: "gate-evaluated" }));
    expect(next).toMatchObject({ duplicate: false, record: { seq: 2 } });
    expect(await log.find(imageKey(app), "evt-1", "gate-evaluated")).toEqual(next.record);
    expect(await log.find(imageKey(app), "evt-1", "quarantined")).toBeNull();
  });

  it("gives 20 concurrent appends to one image seq 1..20 on a valid chain", async () => {
    const { log } = await freshStore();
    const app = image("busy", "c");
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => log.append(input(app, { eventId: `evt-${i}` }))),
    );
    expect(results.every((r) => !r.duplicate)).toBe(true);
    expect(results.map((r) => r.record.seq).sort((x, y) => x - y)).toEqual(
      Array.from({ length: 20 }, (_, i) => i + 1),
    );

    const chain = await log.byImage(imageKey(app));
    expect(chain.map((r) => r.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(new Set(chain.map((r) => r.eventId)).size).toBe(20);
    const report = await log.verifyImage(imageKey(app), new Date(T0));
    expect(report).toMatchObject({ ok: true, records: 20, headSeq: 20 });
  });

  it("turns concurrent deliveries of one event into exactly one record", async () => {
    const { log, tableName } = await freshStore();
    const app = image("app", "d");
    const same = input(app, { eventId: "evt-dup", action: "quarantined" });
    const results = await Promise.all(Array.from({ length: 10 }, () => log.append(same)));

    expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
    expect(new Set(results.map((r) => r.record.hash)).size).toBe(1);
    expect(await log.byImage(imageKey(app))).toHaveLength(1);
    expect(await countItems(tableName)).toBe(2); // the record and the head
  });

  it("sets the TTL attribute to recordedAt + retentionDays, on records and on the head", async () => {
    const { log, tableName } = await freshStore();
    const app = image("app", "e");
    const { record } = await log.append(input(app));
    const expected = Date.parse(record.recordedAt) / 1000 + RETENTION_DAYS * 86_400;
    expect(record.expiresAt).toBe(expected);

    const pk = `IMG#${imageKey(app)}`;
    const stored = await client.send(
      new GetCommand({ TableName: tableName, Key: { pk, sk: "SEQ#0000000001" } }),
    );
    expect(stored.Item?.[AUDIT_TABLE.ttlAttribute]).toBe(expected);
    const head = await client.send(
      new GetCommand({ TableName: tableName, Key: { pk, sk: "HEAD" } }),
    );
    expect(head.Item).toMatchObject({
      seq: 1,
      hash: record.hash,
      expiresAt: expected,
      firstExpiresAt: expected,
    });
    // The head stays out of the indexes.
    expect(head.Item?.gsi1pk).toBeUndefined();
  });

  it("names the table and operation when DynamoDB fails", async () => {
    const log = new DynamoDbAuditLog({
      client,
      tableName: "no-such-table",
      clock: () => new Date(T0),
      retentionDays: 1,
    });
    const err = await log.append(input(image("app", "f"))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuditStoreError);
    expect(err).toMatchObject({
      code: "AUDIT_STORE_FAILED",
      tableName: "no-such-table",
      operation: "Query",
    });
    expect((err as Error).message).toMatch(/no-such-table.*Query.*ResourceNotFoundException/);
  });
});

describe("DynamoDbAuditLog queries", () => {
  it("answers by repository and by event type within an inclusive time range, oldest first", async () => {
    const { log } = await freshStore({ tick: 60_000 });
    const api = [image("api", "1"), image("api", "2")];
    const web = image("web", "3");
    const written: AuditRecord[] = [];
    for (let i = 0; i < 10; i++) {
      const target = i % 3 === 2 ? web : (api[i % 2] as ReturnType<typeof image>);
      const eventType = i % 2 === 0 ? "image-pushed" : "scan-completed";
      written.push((await log.append(input(target, { eventType }))).record);
    }
    const at = (i: number) => written[i]?.recordedAt as string;

    const repo = await log.byRepository(repositoryKey(api[0] as ReturnType<typeof image>), {
      from: at(1),
      to: at(7),
    });
    const expectedRepo = written.filter((r, i) => i >= 1 && i <= 7 && r.repository === "api");
    expect(repo).toEqual(expectedRepo);
    expect(repo.map((r) => r.recordedAt)).toEqual([...repo.map((r) => r.recordedAt)].sort());

    const scans = await log.byEventType("scan-completed", { from: at(3), to: at(9) });
    expect(scans).toEqual(written.filter((r, i) => i >= 3 && r.eventType === "scan-completed"));

    expect(await log.byEventType("image-pushed", { to: at(2) })).toEqual([written[0], written[2]]);
    expect(await log.byEventType("image-pushed", { from: at(8) })).toEqual([written[8]]);
    expect(await log.byRepository(repositoryKey(web), { limit: 2 })).toEqual([
      written[2],
      written[5],
    ]);
    expect(await log.byRepository("ecr:123456789012/none", {})).toEqual([]);
  });

  it("refuses an inverted range and a bad limit", async () => {
    const { log } = await freshStore();
    await expect(
      log.byRepository("r", { from: "2024-02-01T00:00:00.000Z", to: "2024-01-01T00:00:00.000Z" }),
    ).rejects.toBeInstanceOf(AuditQueryError);
    await expect(log.byEventType("e", { limit: 0 })).rejects.toThrow(/limit/);
  });

  it("reads every page when results exceed DynamoDB's 1 MB page", async () => {
    const { log } = await freshStore();
    const big = image("big", "9");
    // 120 KB each: a 1 MB page holds 8 or 9 of them.
    const blob = "x".repeat(120_000);
    for (let i = 0; i < 12; i++) {
      await log.append(input(big, { eventType: "bulk", detail: { i, blob } }));
    }
    const send = vi.spyOn(client, "send");
    /** The result of one read and how many Query pages it took. */
    const paged = async <T>(read: () => Promise<T>) => {
      const before = send.mock.calls.length;
      const result = await read();
      const pages = send.mock.calls
        .slice(before)
        .filter(([cmd]) => cmd instanceof QueryCommand).length;
      return { result, pages };
    };
    try {
      const reads = [
        await paged(() => log.byImage(imageKey(big))),
        await paged(() => log.byRepository(repositoryKey(big), {})),
        await paged(() => log.byEventType("bulk", { from: "2024-01-01T00:00:00.000Z" })),
      ];
      for (const { result, pages } of reads) {
        expect(pages).toBeGreaterThanOrEqual(2);
        expect(result.map((r) => r.detail?.i)).toEqual(Array.from({ length: 12 }, (_, i) => i));
      }
      const limited = await paged(() => log.byEventType("bulk", { limit: 11 }));
      expect(limited.pages).toBe(2);
      expect(limited.result.map((r) => r.detail?.i)).toEqual(
        Array.from({ length: 11 }, (_, i) => i),
      );
    } finally {
      send.mockRestore();
    }
  });
});
