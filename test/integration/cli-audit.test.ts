import { randomUUID } from "node:crypto";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { DeleteCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { runCaptured } from "../../cli/run-captured.ts";
import { DynamoDbAuditLog } from "../../shared/adapters/dynamodb/dynamodb-audit-log.ts";
import type { AuditAction } from "../../shared/domain/audit-record.ts";
import { type ImageRef, imageKey, repositoryKey } from "../../shared/domain/image.ts";
import {
  createAuditTable,
  type DynaliteHandle,
  documentClient,
  startDynalite,
} from "../support/dynalite.ts";

const ACCOUNT = "123456789012";
const T0 = Date.parse("2026-06-01T10:00:00.000Z");
const MINUTE = 60_000;

const image = (repository: string, hex: string): ImageRef => ({
  registry: "ecr",
  registryId: ACCOUNT,
  region: "eu-west-1",
  repository,
  digest: `sha256:${hex.repeat(64)}`,
  tags: ["1.0"],
});
const API_1 = image("prod/api", "a");
const API_2 = image("prod/api", "b");
const WEB = image("prod/web", "c");

/** What each image went through, in order; one record a minute across all images. */
const HISTORY: [ImageRef, AuditAction, string][] = [
  [API_1, "push-recorded", "image-pushed"],
  [API_1, "gate-evaluated", "scan-completed"],
  [WEB, "push-recorded", "image-pushed"],
  [API_1, "quarantined", "scan-completed"],
  [API_2, "push-recorded", "image-pushed"],
  [WEB, "gate-evaluated", "scan-completed"],
  [API_1, "released", "release"],
  [API_1, "alert-sent", "release"],
];

const sts = mockClient(STSClient);
let dynamo: DynaliteHandle;
let client: ReturnType<typeof documentClient>;

beforeAll(async () => {
  vi.stubEnv("AWS_ACCESS_KEY_ID", "test");
  vi.stubEnv("AWS_SECRET_ACCESS_KEY", "test");
  dynamo = await startDynalite();
  client = documentClient(dynamo.endpoint);
});

afterAll(async () => {
  client?.destroy();
  await dynamo?.stop();
  sts.restore();
  vi.unstubAllEnvs();
});

beforeEach(() => {
  sts.reset();
  sts.on(GetCallerIdentityCommand).resolves({
    Account: ACCOUNT,
    Arn: `arn:aws:iam::${ACCOUNT}:user/auditor`,
  });
});

/** A fresh table holding HISTORY, written through the production audit store. */
async function seededTable(): Promise<string> {
  const table = `audit-${randomUUID()}`;
  await createAuditTable(client, table);
  let t = T0;
  const log = new DynamoDbAuditLog({
    client,
    tableName: table,
    clock: () => {
      t += MINUTE;
      return new Date(t);
    },
    retentionDays: 400,
  });
  for (const [img, action, eventType] of HISTORY) {
    await log.append({
      imageKey: imageKey(img),
      repositoryKey: repositoryKey(img),
      repository: img.repository,
      digest: img.digest,
      tags: img.tags,
      action,
      eventId: `${eventType}-${action}-${img.digest.slice(7, 9)}`,
      eventType,
      ...(action === "released"
        ? { principal: "arn:aws:iam::123456789012:user/alice", reasons: ["false positive"] }
        : {}),
      ...(action === "gate-evaluated"
        ? { verdict: "fail" as const, reasons: ["blockAt HIGH"] }
        : {}),
    });
  }
  return table;
}

function audit(table: string, ...args: string[]) {
  return runCaptured(["audit", ...args, "--table", table, "--endpoint-dynamodb", dynamo.endpoint]);
}

/** JSON lines → records. */
function lines(stdout: string) {
  return stdout
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { schemaVersion: number; record: Record<string, unknown> });
}

describe("audit query", () => {
  let table: string;
  beforeAll(async () => {
    table = await seededTable();
  });

  it("lists one image's chain by image key, as JSON lines", async () => {
    const r = await audit(table, "query", "--image", imageKey(API_1), "--json");
    expect(r.code).toBe(0);
    const out = lines(r.stdout);
    expect(out.every((l) => l.schemaVersion === 1)).toBe(true);
    expect(out.map((l) => l.record.action)).toEqual(
      HISTORY.filter(([img]) => img === API_1).map(([, action]) => action),
    );
    expect(out.map((l) => l.record.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(out[3]?.record).toMatchObject({
      principal: "arn:aws:iam::123456789012:user/alice",
      reasons: ["false positive"],
      hash: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
  });

  it("accepts REPOSITORY@DIGEST with --registry-id, or the caller's account from STS", async () => {
    const explicit = await audit(
      table,
      ...["query", "--image", `prod/api@${API_1.digest}`, "--registry-id", ACCOUNT, "--json"],
    );
    expect(lines(explicit.stdout)).toHaveLength(5);
    expect(sts.calls()).toHaveLength(0);

    const fromSts = await audit(table, "query", "--image", `prod/api@${API_1.digest}`, "--json");
    expect(lines(fromSts.stdout)).toHaveLength(5);
    expect(sts.calls()).toHaveLength(1);
  });

  it("prints a table with one row per record", async () => {
    const r = await audit(table, "query", "--image", imageKey(API_1));
    expect(r.code).toBe(0);
    const rows = r.stdout.split("\n");
    expect(rows[0]).toMatch(
      /^RECORDED AT\s+IMAGE\s+SEQ\s+ACTION\s+EVENT TYPE\s+VERDICT\s+PRINCIPAL\s+REASONS$/,
    );
    expect(rows).toHaveLength(6);
    expect(rows[4]).toMatch(
      /released\s+release\s+-\s+arn:aws:iam::123456789012:user\/alice\s+false positive/,
    );
  });

  it("lists a repository by plain name or key, within a time range", async () => {
    const all = await audit(
      table,
      ...["query", "--repository", "prod/api", "--registry-id", ACCOUNT, "--json"],
    );
    expect(all.code).toBe(0);
    const records = lines(all.stdout).map((l) => l.record);
    expect(records).toHaveLength(6);
    expect(new Set(records.map((r) => r.repository))).toEqual(new Set(["prod/api"]));
    const times = records.map((r) => r.recordedAt as string);
    expect(times).toEqual([...times].sort());

    // HISTORY entries 2..5 (0-based) were written at T0 + 3..6 minutes.
    const from = new Date(T0 + 3 * MINUTE).toISOString();
    const to = new Date(T0 + 6 * MINUTE).toISOString();
    const ranged = await audit(
      table,
      ...["query", "--repository", repositoryKey(API_1), "--from", from, "--to", to, "--json"],
    );
    const inRange = lines(ranged.stdout).map((l) => l.record);
    expect(inRange.map((r) => r.action)).toEqual(["quarantined", "push-recorded"]);
    expect(
      inRange.every((r) => (r.recordedAt as string) >= from && (r.recordedAt as string) <= to),
    ).toBe(true);
  });

  it("lists an event type, up to --limit", async () => {
    const r = await audit(table, "query", "--event-type", "scan-completed", "--json");
    expect(lines(r.stdout).map((l) => l.record.action)).toEqual([
      "gate-evaluated",
      "quarantined",
      "gate-evaluated",
    ]);
    const limited = await audit(
      table,
      "query",
      "--event-type",
      "image-pushed",
      "--limit",
      "2",
      "--json",
    );
    expect(lines(limited.stdout)).toHaveLength(2);
    const none = await audit(table, "query", "--event-type", "image-deleted");
    expect(none.code).toBe(0);
    expect(none.stdout).toBe("no audit records match");
  });

  it.each([
    [["query"], "exactly one of --image, --repository or --event-type"],
    [["query", "--image", "x@sha256:1", "--event-type", "release"], "exactly one"],
    [["query", "--event-type", "release", "--limit", "0"], "--limit 0"],
    [["query", "--event-type", "release", "--limit", "ten"], "--limit ten"],
    [
      ["query", "--event-type", "release", "--from", "2026-06-02", "--to", "2026-06-01"],
      "is after",
    ],
    [["query", "--event-type", "release", "--from", "yesterday"], "--from yesterday"],
    [["query", "--image", "prod/api:latest"], "by digest"],
    [["query", "--repository", "ecr:123/prod/api"], "12-digit"],
    [["query", "--event-type", "Release Now"], "--event-type"],
  ])("rejects %j with exit 2", async (args, message) => {
    const r = await audit(table, ...args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(message);
  });

  it("exits 3 when the table does not exist", async () => {
    const r = await audit("no-such-table", "query", "--event-type", "release");
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('Audit table "no-such-table"');
  });
});

describe("audit verify", () => {
  it("exits 0 when every chain is intact", async () => {
    const table = await seededTable();
    const r = await audit(table, "verify", "--json");
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({
      schemaVersion: 1,
      ok: true,
      images: 3,
      imagesWithIssues: 0,
      issues: [],
    });
    expect(out.reports.map((x: { imageKey: string }) => x.imageKey)).toEqual(
      [API_1, API_2, WEB].map(imageKey).sort(),
    );
    const text = await audit(table, "verify");
    expect(text.stdout).toContain("3 image(s) verified: 3 intact, 0 with issues");
  });

  it("exits 1 and names the image and seq of a record edited with UpdateItem", async () => {
    const table = await seededTable();
    await client.send(
      new UpdateCommand({
        TableName: table,
        Key: { pk: `IMG#${imageKey(API_1)}`, sk: "SEQ#0000000002" },
        UpdateExpression: "SET #verdict = :pass",
        ExpressionAttributeNames: { "#verdict": "verdict" },
        ExpressionAttributeValues: { ":pass": "pass" },
      }),
    );

    const json = await audit(table, "verify", "--json");
    expect(json.code).toBe(1);
    const out = JSON.parse(json.stdout);
    expect(out).toMatchObject({ ok: false, images: 3, imagesWithIssues: 1 });
    expect(out.issues).toEqual([
      expect.objectContaining({ code: "RECORD_EDITED", imageKey: imageKey(API_1), seq: 2 }),
    ]);

    const text = await audit(table, "verify");
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(`FAIL  ${imageKey(API_1)}`);
    expect(text.stdout).toMatch(/RECORD_EDITED {2}seq 2 {2}record 2 does not match its hash/);
    expect(text.stdout).toContain(`OK    ${imageKey(WEB)}`);
    expect(text.stdout).toContain("3 image(s) verified: 2 intact, 1 with issues (1 issue)");

    // Narrowed to what is intact, it passes; narrowed to the tampered repository, it fails.
    expect((await audit(table, "verify", "--image", imageKey(WEB))).code).toBe(0);
    expect((await audit(table, "verify", "--repository", "ecr:123456789012/prod/web")).code).toBe(
      0,
    );
    const repo = await audit(
      table,
      "verify",
      "--repository",
      "prod/api",
      "--registry-id",
      ACCOUNT,
      "--json",
    );
    expect(repo.code).toBe(1);
    expect(JSON.parse(repo.stdout).images).toBe(2);
  });

  it("exits 1 for a deleted record", async () => {
    const table = await seededTable();
    await client.send(
      new DeleteCommand({
        TableName: table,
        Key: { pk: `IMG#${imageKey(API_1)}`, sk: "SEQ#0000000003" },
      }),
    );
    const r = await audit(table, "verify", "--image", imageKey(API_1), "--json");
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).issues).toEqual([
      expect.objectContaining({ code: "RECORD_MISSING", imageKey: imageKey(API_1), seq: 3 }),
    ]);
  });

  it("exits 2 for an image with no records at all, and for two selectors", async () => {
    const table = await seededTable();
    const unknown = await audit(table, "verify", "--image", imageKey(image("prod/api", "d")));
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("no audit records for");
    const both = await audit(
      table,
      "verify",
      "--image",
      imageKey(API_1),
      "--repository",
      "prod/api",
    );
    expect(both.code).toBe(2);
  });
});
