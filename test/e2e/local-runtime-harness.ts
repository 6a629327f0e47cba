// Shared by the e2e tests: the local runtime (the same code `npm start` runs) on free loopback
// ports with its data in a temp dir, and small helpers to wait for and read what it did.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import {
  type LocalRuntime,
  type LocalRuntimeOptions,
  startLocalRuntime,
} from "../../local/runtime.ts";
import type { AuditRecord } from "../../shared/domain/audit-record.ts";
import { imageKey } from "../../shared/domain/image.ts";
import { loadPolicy } from "../../shared/domain/policy-load.ts";
import type { PipelineOutcome } from "../../shared/pipeline/pipeline-outcome.ts";
import type { Log } from "../../shared/ports.ts";

/** prod/** quarantines at HIGH; sandbox/** only alerts; every image needs a scan within 30m. */
export const E2E_POLICY = `version: 1
defaults:
  gate:
    blockAt: HIGH
    requireScan: true
    scanTimeout: 30m
    onFail: alert
repositories:
  - match: "prod/**"
    gate:
      onFail: quarantine
`;

export interface TestRuntime {
  rt: LocalRuntime;
  dataDir: string;
  outcomes: PipelineOutcome[];
  warnings: string[];
  /** The alert text written to the console stream. */
  consoleText(): string;
  stop(): Promise<void>;
}

export async function startTestRuntime(
  overrides: Partial<LocalRuntimeOptions> & { dataDir?: string } = {},
): Promise<TestRuntime> {
  const dataDir = overrides.dataDir ?? (await mkdtemp(join(tmpdir(), "registry-guard-e2e-")));
  const outcomes: PipelineOutcome[] = [];
  const warnings: string[] = [];
  const log: Log = {
    debug() {},
    info() {},
    warn: (m, ...x) => warnings.push(`${m} ${JSON.stringify(x)}`),
    error: (m, ...x) => warnings.push(`${m} ${JSON.stringify(x)}`),
  };
  const console = new PassThrough();
  let text = "";
  console.on("data", (c: Buffer) => {
    text += c.toString();
  });
  const rt = await startLocalRuntime({
    registryPort: 0,
    receiverPort: 0,
    dynamodbPort: 0,
    policy: loadPolicy(E2E_POLICY, "e2e.yaml"),
    alertsOut: console,
    log,
    sweepIntervalMs: 0,
    queue: { backoffMs: (n) => Math.min(100 * 2 ** (n - 1), 2_000), maxAttempts: 8 },
    onOutcome: (o) => outcomes.push(o),
    ...overrides,
    dataDir,
  });
  return {
    rt,
    dataDir,
    outcomes,
    warnings,
    consoleText: () => text,
    stop: async () => {
      await rt.stop();
      if (!overrides.dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls until `check` returns a value (not undefined/false), or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function keyOf(rt: LocalRuntime, repository: string, digest: string): string {
  return imageKey({ registry: "oci", registryId: rt.registryHost, repository, digest });
}

export async function recordsOf(rt: LocalRuntime, repository: string, digest: string) {
  return rt.audit.byImage(keyOf(rt, repository, digest));
}

/** Waits until the image's chain has a record with this action (optionally matching more). */
export function waitForRecord(
  rt: LocalRuntime,
  repository: string,
  digest: string,
  action: AuditRecord["action"],
  match: (r: AuditRecord) => boolean = () => true,
): Promise<AuditRecord> {
  return waitFor(`${action} on ${repository}@${digest.slice(0, 19)}`, async () =>
    (await recordsOf(rt, repository, digest)).find((r) => r.action === action && match(r)),
  );
}

/** Every alert line of alerts.jsonl, parsed; none when the file does not exist yet. */
export async function alertLines(rt: LocalRuntime): Promise<Record<string, unknown>[]> {
  let text: string;
  try {
    text = await readFile(rt.dir.alerts, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  return text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Every item in the audit table (records and chain heads). */
export async function auditItemCount(rt: LocalRuntime): Promise<number> {
  const res = await rt.documentClient.send(
    new ScanCommand({ TableName: rt.tableName, Select: "COUNT", ConsistentRead: true }),
  );
  return res.Count ?? 0;
}

/** The registry's URL as a push target for test/support/oci-push.ts. */
export function target(rt: LocalRuntime): { url: string } {
  return { url: rt.registryUrl };
}
