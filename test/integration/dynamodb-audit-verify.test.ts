import { randomUUID } from "node:crypto";
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DynamoDbAuditLog } from "../../shared/adapters/dynamodb/dynamodb-audit-log.ts";
import type { AuditRecord } from "../../shared/domain/audit-record.ts";
import { imageKey, repositoryKey } from "../../shared/domain/image.ts";
import {
  createAuditTable,
  type DynaliteHandle,
  documentClient,
  startDynalite,
} from "../support/dynalite.ts";

const T0 = Date.parse("2024-06-01T12:00:00.000Z");
const DAY = 86_400_000;
const RETENTION_DAYS = 30;

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

const img = (repository: string, hexChar: string) => ({
  registry: "oci" as const,
  registryId: "registry.example.com",
  repository,
  digest: `sha256:${hexChar.repeat(64)}`,
  tags: ["1.0"],
});

/** A table holding one 4-record chain for `team/api`, plus one chain in another repository. */
async function seeded() {
  const tableName = `audit-${randomUUID()}`;
  await createAuditTable(client, tableName);
  let t = T0;
  const log = new DynamoDbAuditLog({
    client,
    tableName,
    clock: () => {
      t += 1000;
      return new Date(t);
    },
    retentionDays: RETENTION_DAYS,
  });
  const api = img("team/api", "a");
  const key = imageKey(api);
  const records: AuditRecord[] = [];
  for (const action of ["push-recorded", "gate-evaluated", "quarantined", "alert-sent"] as const) {
    const { record } = await log.append({
      imageKey: key,
      repositoryKey: repositoryKey(api),
      repository: api.repository,
      digest: api.digest,
      tags: api.tags,
      action,
      eventId: "evt-1",
      eventType: "scan-completed",
      verdict: "fail",
      reasons: ["CVE-2024-0001 CRITICAL"],
    });
    records.push(record);
  }
  const web = img("team/web", "b");
  await log.append({
    imageKey: imageKey(web),
    repositoryKey: repositoryKey(web),
    repository: web.repository,
    digest: web.digest,
    tags: web.tags,
    action: "push-recorded",
    eventId: "evt-2",
    eventType: "image-pushed",
  });
  const now = new Date(T0 + 60_000);
  const pk = `IMG#${key}`;
  const sk = (seq: number) => `SEQ#${String(seq).padStart(10, "0")}`;
  return { log, tableName, key, records, now, pk, sk, apiRepo: repositoryKey(api) };
}

describe("audit verify against DynamoDB", () => {
  it("passes intact chains, per image and for the whole table", async () => {
    const { log, key, now } = await seeded();
    expect(await log.verifyImage(key, now)).toMatchObject({
      ok: true,
      records: 4,
      headSeq: 4,
      issues: [],
    });
    const all = await log.verifyAll({}, now);
    expect(all.map((r) => [r.imageKey, r.ok, r.records])).toEqual([
      [key, true, 4],
      [imageKey(img("team/web", "b")), true, 1],
    ]);
  });

  it("detects a field edited in place (UpdateItem on the verdict)", async () => {
    const { log, tableName, key, now, pk, sk } = await seeded();
    await client.send(
      new UpdateCommand({
        TableName: tableName,
        Key: { pk, sk: sk(2) },
        UpdateExpression: "SET verdict = :v",
        ExpressionAttributeValues: { ":v": "pass" },
      }),
    );
    const report = await log.verifyImage(key, now);
    expect(report.ok).toBe(false);
    expect(report.issues).toEqual([
      expect.objectContaining({ code: "RECORD_EDITED", seq: 2, imageKey: key }),
    ]);
  });

  it("detects a deleted record in the middle", async () => {
    const { log, tableName, key, now, pk, sk } = await seeded();
    await client.send(new DeleteCommand({ TableName: tableName, Key: { pk, sk: sk(2) } }));
    expect((await log.verifyImage(key, now)).issues).toEqual([
      expect.objectContaining({ code: "RECORD_MISSING", seq: 2, imageKey: key }),
    ]);
  });

  it("detects a deleted tail through the head pointer, and keeps it visible after new appends", async () => {
    const { log, tableName, key, records, now, pk, sk } = await seeded();
    await client.send(new DeleteCommand({ TableName: tableName, Key: { pk, sk: sk(4) } }));
    expect((await log.verifyImage(key, now)).issues).toEqual([
      expect.objectContaining({ code: "TAIL_MISSING", seq: 4, imageKey: key }),
    ]);

    const first = records[0] as AuditRecord;
    const { record } = await log.append({ ...first, eventId: "evt-later", action: "released" });
    expect(record.seq).toBe(5);
    expect((await log.verifyImage(key, now)).issues).toEqual([
      expect.objectContaining({ code: "RECORD_MISSING", seq: 4 }),
    ]);
  });

  it("detects a record moved out of index queries (storage key edited)", async () => {
    const { log, tableName, key, now, pk, sk } = await seeded();
    await client.send(
      new UpdateCommand({
        TableName: tableName,
        Key: { pk, sk: sk(3) },
        UpdateExpression: "SET gsi1pk = :other",
        ExpressionAttributeValues: { ":other": "oci:registry.example.com/elsewhere" },
      }),
    );
    expect((await log.verifyImage(key, now)).issues).toEqual([
      expect.objectContaining({
        code: "RECORD_EDITED",
        seq: 3,
        message: expect.stringMatching(/gsi1pk/),
      }),
    ]);
  });

  it("tolerates a head left behind by a crash, and a redelivery catches it up", async () => {
    const { log, tableName, key, records, now, pk } = await seeded();
    const third = records[2] as AuditRecord;
    await client.send(
      new PutCommand({
        TableName: tableName,
        Item: { pk, sk: "HEAD", seq: 3, hash: third.hash, expiresAt: third.expiresAt },
      }),
    );
    expect(await log.verifyImage(key, now)).toMatchObject({ ok: true, headSeq: 3 });

    const last = records[3] as AuditRecord;
    const again = await log.append({ ...last });
    expect(again.duplicate).toBe(true);
    const head = await client.send(
      new GetCommand({ TableName: tableName, Key: { pk, sk: "HEAD" } }),
    );
    expect(head.Item).toMatchObject({ seq: 4, hash: last.hash });
  });

  it("treats records removed by TTL after expiry as truncation, not tampering", async () => {
    const { log, tableName, key, now, pk, sk } = await seeded();
    for (const seq of [1, 2]) {
      await client.send(new DeleteCommand({ TableName: tableName, Key: { pk, sk: sk(seq) } }));
    }
    expect((await log.verifyImage(key, now)).issues).toEqual([
      expect.objectContaining({ code: "RECORD_MISSING", seq: 1 }),
    ]);
    const afterExpiry = new Date(now.getTime() + (RETENTION_DAYS + 1) * DAY);
    expect(await log.verifyImage(key, afterExpiry)).toMatchObject({
      ok: true,
      truncated: { from: 1, to: 2 },
    });
  });

  it("verifies only the images of one repository when asked", async () => {
    const { log, tableName, key, now, pk, sk, apiRepo } = await seeded();
    await client.send(new DeleteCommand({ TableName: tableName, Key: { pk, sk: sk(3) } }));
    const reports = await log.verifyAll({ repositoryKey: apiRepo }, now);
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({
      imageKey: key,
      ok: false,
      issues: [expect.objectContaining({ code: "RECORD_MISSING", seq: 3 })],
    });
    expect(await log.verifyAll({ repositoryKey: "oci:registry.example.com/none" }, now)).toEqual(
      [],
    );
  });
});
