// Audit writes per second against dynalite: hash-chained appends through DynamoDbAuditLog (read
// the image's partition, conditional put, head update) vs a plain PutItem of the same records,
// over the same records, images and concurrency. dynalite runs in this process and thread, so
// the absolute rates are far below DynamoDB's; the ratio is the figure that carries over.
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { PutCommand } from "@aws-sdk/lib-dynamodb";
import { recordToItem } from "../shared/adapters/dynamodb/audit-item.ts";
import { DynamoDbAuditLog } from "../shared/adapters/dynamodb/dynamodb-audit-log.ts";
import { mapLimit } from "../shared/concurrency/map-limit.ts";
import { buildRecord } from "../shared/domain/audit-chain.ts";
import type { AuditRecord, AuditRecordInput } from "../shared/domain/audit-record.ts";
import { imageKey, repositoryKey } from "../shared/domain/image.ts";
import { createAuditTable, documentClient, startDynalite } from "../test/support/dynalite.ts";
import {
  type Bench,
  type Figure,
  fmt,
  heading,
  median,
  note,
  percentile,
  row,
} from "./bench-util.ts";

const RECORDS = 1000;
const IMAGES = 50;
const CONCURRENCY = 8;
const WARMUP = 100;
const RETENTION_DAYS = 400;
const T0 = Date.parse("2026-06-01T12:00:00.000Z");

/** Record i goes to image i % IMAGES, so in-flight writes mostly hit different images. */
function inputs(count: number, prefix: string): AuditRecordInput[] {
  return Array.from({ length: count }, (_, i) => {
    const ref = {
      registry: "ecr" as const,
      registryId: "123456789012",
      repository: `team-${(i % IMAGES) % 5}/service-${i % IMAGES}`,
      digest: `sha256:${(i % IMAGES).toString(16).padStart(64, "0")}`,
    };
    return {
      imageKey: imageKey(ref),
      repositoryKey: repositoryKey(ref),
      repository: ref.repository,
      digest: ref.digest,
      tags: ["v1.2.3", "latest"],
      action: "gate-evaluated",
      eventId: `${prefix}-event-${i}`,
      eventType: "scan-completed",
      principal: "arn:aws:iam::123456789012:role/registry-guard",
      verdict: i % 4 === 0 ? "fail" : "pass",
      reasons: i % 4 === 0 ? ["blockAt HIGH: CVE-2024-12345 (openssl)"] : [],
      policyVersion: "0123456789ab",
      detail: { counts: { CRITICAL: 0, HIGH: i % 4 === 0 ? 1 : 0, MEDIUM: 3, LOW: 12 } },
    };
  });
}

/** A clock that moves one millisecond per reading, so records get distinct times. */
function steppingClock(): () => Date {
  let t = T0;
  return () => new Date(t++);
}

/** The records the chain would produce, chained here in memory: same items, no protocol. */
function chainedLocally(list: AuditRecordInput[]): AuditRecord[] {
  const clock = steppingClock();
  const tips = new Map<string, AuditRecord>();
  return list.map((input) => {
    const record = buildRecord(input, tips.get(input.imageKey) ?? null, clock(), RETENTION_DAYS);
    tips.set(input.imageKey, record);
    return record;
  });
}

interface CallCounts {
  calls: Map<string, number>;
  conditionalFailures: number;
  /** Items returned by every Query: what appends read. */
  itemsRead: number;
}

/** The client with every send counted by command, and conditional failures (lost races). */
function counting(client: DynamoDBDocumentClient, counts: CallCounts): DynamoDBDocumentClient {
  const send = client.send.bind(client) as (command: object) => Promise<unknown>;
  return new Proxy(client, {
    get(target, prop, receiver) {
      if (prop !== "send") return Reflect.get(target, prop, receiver);
      return async (command: object) => {
        const name = command.constructor.name;
        counts.calls.set(name, (counts.calls.get(name) ?? 0) + 1);
        try {
          const out = (await send(command)) as { Items?: unknown[] };
          counts.itemsRead += out.Items?.length ?? 0;
          return out;
        } catch (err) {
          if ((err as Error).name === "ConditionalCheckFailedException") {
            counts.conditionalFailures++;
          }
          throw err;
        }
      };
    },
  });
}

interface Run {
  seconds: number;
  latenciesMs: number[];
}

async function timed<T>(items: T[], write: (item: T) => Promise<unknown>): Promise<Run> {
  const latenciesMs: number[] = new Array(items.length);
  const t0 = performance.now();
  await mapLimit(items, CONCURRENCY, async (item, i) => {
    const s = performance.now();
    await write(item);
    latenciesMs[i] = performance.now() - s;
  });
  return { seconds: (performance.now() - t0) / 1000, latenciesMs };
}

/** One fresh dynalite per mode, so neither run inherits the other's data. */
async function withDynalite<T>(fn: (client: DynamoDBDocumentClient) => Promise<T>): Promise<T> {
  const server = await startDynalite();
  const client = documentClient(server.endpoint);
  try {
    return await fn(client);
  } finally {
    client.destroy();
    await server.stop();
  }
}

async function chainRun(): Promise<Run & { counts: CallCounts; verified: number }> {
  return withDynalite(async (raw) => {
    await createAuditTable(raw, "warmup");
    await createAuditTable(raw, "audit");
    const warm = new DynamoDbAuditLog({
      client: raw,
      tableName: "warmup",
      clock: steppingClock(),
      retentionDays: RETENTION_DAYS,
    });
    await mapLimit(inputs(WARMUP, "w"), CONCURRENCY, (input) => warm.append(input));
    const counts: CallCounts = { calls: new Map(), conditionalFailures: 0, itemsRead: 0 };
    const log = new DynamoDbAuditLog({
      client: counting(raw, counts),
      tableName: "audit",
      clock: steppingClock(),
      retentionDays: RETENTION_DAYS,
    });
    const run = await timed(inputs(RECORDS, "a"), (input) => log.append(input));
    const appendCounts: CallCounts = { ...counts, calls: new Map(counts.calls) };
    const reports = await log.verifyAll({}, new Date(T0 + 86_400_000));
    const verified = reports.filter((r) => r.ok).length;
    return { ...run, counts: appendCounts, verified };
  });
}

async function plainRun(): Promise<Run> {
  return withDynalite(async (client) => {
    await createAuditTable(client, "warmup");
    await createAuditTable(client, "audit");
    const put = (tableName: string) => (record: AuditRecord) =>
      client.send(new PutCommand({ TableName: tableName, Item: recordToItem(record) }));
    await mapLimit(chainedLocally(inputs(WARMUP, "w")), CONCURRENCY, put("warmup"));
    // Hashes are computed before the clock starts: this run measures writes only.
    return timed(chainedLocally(inputs(RECORDS, "a")), put("audit"));
  });
}

const LONG_CHAIN = 300;
const LONG_CHAIN_WINDOW = 50;

/**
 * One image, appended to one record at a time: an append reads the image's whole partition, so
 * its cost grows with the chain. Median latency of the first and the last appends shows how much.
 */
async function longChainRun(): Promise<{ firstMs: number; lastMs: number }> {
  return withDynalite(async (client) => {
    await createAuditTable(client, "audit");
    const log = new DynamoDbAuditLog({
      client,
      tableName: "audit",
      clock: steppingClock(),
      retentionDays: RETENTION_DAYS,
    });
    const one = inputs(1, "long")[0] as AuditRecordInput;
    const latencies: number[] = [];
    for (let i = 0; i < LONG_CHAIN; i++) {
      const t0 = performance.now();
      await log.append({ ...one, eventId: `long-event-${i}` });
      latencies.push(performance.now() - t0);
    }
    return {
      firstMs: median(latencies.slice(0, LONG_CHAIN_WINDOW)),
      lastMs: median(latencies.slice(-LONG_CHAIN_WINDOW)),
    };
  });
}

async function run(): Promise<Figure[]> {
  heading(
    `Audit writes against dynalite: ${RECORDS} records over ${IMAGES} images, concurrency ${CONCURRENCY}`,
  );
  const chain = await chainRun();
  const plain = await plainRun();
  const chainRate = RECORDS / chain.seconds;
  const plainRate = RECORDS / plain.seconds;
  const calls = [...chain.counts.calls].map(([n, c]) => `${n} ${fmt(c / RECORDS, 2)}`).join(", ");
  row("hash-chained append (DynamoDbAuditLog)", `${fmt(chainRate, 0)} records/s`);
  row("  latency median / p95", latency(chain.latenciesMs));
  row("  DynamoDB calls per append", calls);
  row("  items read per append", fmt(chain.counts.itemsRead / RECORDS, 1));
  row("  lost races (conditional failures)", String(chain.counts.conditionalFailures));
  row("  chains verified afterwards", `${chain.verified}/${IMAGES} ok`);
  row("plain PutItem of the same records", `${fmt(plainRate, 0)} records/s`);
  row("  latency median / p95", latency(plain.latenciesMs));
  row("plain / chained", `${fmt(plainRate / chainRate, 2)}x`);
  const long = await longChainRun();
  row(
    `one image, ${LONG_CHAIN} appends in a row`,
    `median ${fmt(long.firstMs, 1)} ms for the first ${LONG_CHAIN_WINDOW}, ` +
      `${fmt(long.lastMs, 1)} ms for the last ${LONG_CHAIN_WINDOW}`,
  );
  note("dynalite shares this process's thread: compare the two rates, not either with DynamoDB.");
  return [
    { bench: "audit", metric: "chained appends", value: `${fmt(chainRate, 0)} records/s` },
    { bench: "audit", metric: "plain PutItem", value: `${fmt(plainRate, 0)} records/s` },
    { bench: "audit", metric: "plain / chained", value: `${fmt(plainRate / chainRate, 2)}x` },
    {
      bench: "audit",
      metric: `one image: appends ${LONG_CHAIN - LONG_CHAIN_WINDOW + 1}-${LONG_CHAIN} vs 1-${LONG_CHAIN_WINDOW}`,
      value: `${fmt(long.lastMs / long.firstMs, 1)}x (${fmt(long.lastMs, 1)} / ${fmt(long.firstMs, 1)} ms)`,
    },
  ];
}

function latency(ms: number[]): string {
  return `${fmt(median(ms), 1)} / ${fmt(percentile(ms, 95), 1)} ms`;
}

export const auditBench: Bench = {
  name: "audit",
  description: "audit writes per second: hash chain vs plain PutItem (dynalite)",
  run,
};
