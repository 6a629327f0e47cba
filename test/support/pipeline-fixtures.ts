import { createHash, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { DynamoDbAuditLog } from "../../shared/adapters/dynamodb/dynamodb-audit-log.ts";
import { MemoryAuditLog } from "../../shared/adapters/memory/memory-audit-log.ts";
import { MemoryRegistry } from "../../shared/adapters/memory/memory-registry.ts";
import { verifyChain } from "../../shared/domain/audit-chain.ts";
import type { AuditAction, AuditRecord } from "../../shared/domain/audit-record.ts";
import type { Finding, ScanResult } from "../../shared/domain/finding.ts";
import { type ImageRef, imageKey } from "../../shared/domain/image.ts";
import { type LoadedPolicy, loadPolicy } from "../../shared/domain/policy-load.ts";
import type { IgnoredEvent, RegistryEvent } from "../../shared/domain/registry-event.ts";
import type { Severity } from "../../shared/domain/severity.ts";
import { parseRegistryEvent } from "../../shared/events/parse-event.ts";
import type { PlannedEffect } from "../../shared/pipeline/dry-run.ts";
import type { PipelineDeps } from "../../shared/pipeline/pipeline-deps.ts";
import type { Alert, Alerts, AuditLog, Clock, Log, Registry } from "../../shared/ports.ts";
import {
  createAuditTable,
  type DynaliteHandle,
  documentClient,
  startDynalite,
} from "./dynalite.ts";

/** Everything the pipeline tests share: images with real manifests, events, policy, fakes, stores. */

export const ACCOUNT = "123456789012";
export const REGION = "eu-west-1";
export const T0 = "2024-06-01T12:00:00.000Z";

// --- policy -------------------------------------------------------------------------------

/**
 * prod/** quarantines what fails (HIGH or worse, or unscanned 30 minutes after the push);
 * sandbox/** only alerts; lax/** only alerts and never waits for a scan.
 */
export const POLICY_YAML = `version: 1
defaults:
  gate:
    blockAt: HIGH
    ignoreUnfixed: false
    requireScan: true
    scanTimeout: 30m
    onFail: quarantine
repositories:
  - match: "sandbox/**"
    gate:
      onFail: alert
  - match: "lax/**"
    gate:
      onFail: alert
      requireScan: false
`;

export function testPolicy(text = POLICY_YAML): LoadedPolicy {
  return loadPolicy(text, "test.yaml");
}

// --- images, manifests, findings ----------------------------------------------------------

export interface TestImage {
  ref: ImageRef;
  /** The manifest bytes the registry serves; the digest is their sha256. */
  manifest: string;
}

export function sha256Digest(bytes: string): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

/** An OCI image manifest, unique per `seed`, and its ref with the digest computed from it. */
export function testImage(repository: string, seed: string, tags: string[] = ["1.0.0"]): TestImage {
  const layer = sha256Digest(`layer:${repository}:${seed}`);
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: {
      mediaType: "application/vnd.oci.image.config.v1+json",
      digest: sha256Digest(`config:${repository}:${seed}`),
      size: 1469,
    },
    layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: layer, size: 3 }],
  });
  return {
    manifest,
    ref: {
      registry: "ecr",
      registryId: ACCOUNT,
      region: REGION,
      repository,
      digest: sha256Digest(manifest),
      tags,
    },
  };
}

export function finding(id: string, severity: Severity, more: Partial<Finding> = {}): Finding {
  return {
    id,
    severity,
    package: "openssl",
    installedVersion: "3.0.1",
    fixedVersion: "3.0.2",
    title: `${id} in openssl`,
    url: `https://nvd.nist.gov/vuln/detail/${id}`,
    ...more,
  };
}

export function completeScan(findings: Finding[]): ScanResult {
  return { status: "COMPLETE", scanner: "enhanced", completedAt: T0, findings };
}

export const FAILING: Finding[] = [
  finding("CVE-2023-4911", "CRITICAL", { package: "glibc", installedVersion: "2.35" }),
  finding("CVE-2024-0001", "HIGH"),
  finding("CVE-2024-0002", "LOW"),
];
export const PASSING: Finding[] = [finding("CVE-2024-0002", "LOW")];
export const IN_PROGRESS: ScanResult = { status: "IN_PROGRESS", scanner: "basic", findings: [] };

// --- events, built from the AWS sample events in test/fixtures/events --------------------

function sample(name: string): Record<string, unknown> {
  const url = new URL(`../fixtures/events/${name}`, import.meta.url);
  return JSON.parse(readFileSync(url, "utf8")) as Record<string, unknown>;
}

function parsed(raw: unknown): RegistryEvent {
  const event: RegistryEvent | IgnoredEvent = parseRegistryEvent(raw);
  if (event.kind === "ignored") throw new Error(`fixture event was ignored: ${event.reason}`);
  return event;
}

/** ECR "Image Action" PUSH SUCCESS for the image, as EventBridge delivers it. */
export function pushEvent(image: TestImage, opts: { id?: string; time?: string } = {}) {
  const raw = sample("ecr-image-push.json");
  return parsed({
    ...raw,
    id: opts.id ?? randomUUID(),
    time: opts.time ?? T0,
    account: image.ref.registryId,
    region: REGION,
    detail: {
      ...(raw.detail as object),
      "repository-name": image.ref.repository,
      "image-digest": image.ref.digest,
      "image-tag": image.ref.tags[0] ?? "",
    },
  });
}

/** ECR "Image Scan" (basic scanning) for the image; findings are always read from the registry. */
export function scanEvent(
  image: Pick<TestImage, "ref">,
  opts: { id?: string; time?: string; status?: string } = {},
) {
  const raw = sample("ecr-basic-scan-complete.json");
  return parsed({
    ...raw,
    id: opts.id ?? randomUUID(),
    time: opts.time ?? T0,
    account: image.ref.registryId,
    region: REGION,
    resources: [`arn:aws:ecr:${REGION}:${image.ref.registryId}:repository/${image.ref.repository}`],
    detail: {
      ...(raw.detail as object),
      "scan-status": opts.status ?? "COMPLETE",
      "repository-name": image.ref.repository,
      "image-digest": image.ref.digest,
      "image-tags": image.ref.tags,
    },
  });
}

// --- fakes --------------------------------------------------------------------------------

/** A clock the test moves by hand. */
export function testClock(start = T0) {
  let now = Date.parse(start);
  const clock: Clock = () => new Date(now);
  return {
    clock,
    advance(ms: number) {
      now += ms;
    },
    set(iso: string) {
      now = Date.parse(iso);
    },
  };
}

export function minutesAfter(iso: string, minutes: number): string {
  return new Date(Date.parse(iso) + minutes * 60_000).toISOString();
}

/** Alerts that keep what was published; `failNext` makes the next publish throw. */
export class RecordingAlerts implements Alerts {
  readonly published: Alert[] = [];
  attempts = 0;
  private failures: Error[] = [];

  failNext(error = new Error("SNS is unavailable")): void {
    this.failures.push(error);
  }

  async publish(alert: Alert): Promise<{ messageId?: string }> {
    this.attempts++;
    const failure = this.failures.shift();
    if (failure) throw failure;
    this.published.push(alert);
    return { messageId: `msg-${this.published.length}` };
  }
}

export function quietLog(): Log & { entries: { level: string; message: string }[] } {
  const entries: { level: string; message: string }[] = [];
  const at =
    (level: string) =>
    (message: string): void => {
      entries.push({ level, message });
    };
  return { entries, debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

/**
 * Wraps a registry and alerts so every side effect lands in one ordered list, in the dry run's
 * PlannedEffect shape: what a real run did can then be compared with what a dry run planned.
 */
export function recordingEffects(registry: Registry, alerts: Alerts) {
  const effects: PlannedEffect[] = [];
  const wrappedRegistry: Registry = {
    kind: registry.kind,
    resolveImage: (ref) => registry.resolveImage(ref),
    getScanResult: (ref) => registry.getScanResult(ref),
    quarantine: async (image) => {
      const r = await registry.quarantine(image);
      effects.push({ effect: "quarantine", image });
      return r;
    },
    release: async (image) => {
      const r = await registry.release(image);
      effects.push({ effect: "release", image });
      return r;
    },
  };
  const wrappedAlerts: Alerts = {
    publish: async (alert) => {
      const r = await alerts.publish(alert);
      effects.push({ effect: "alert", alert });
      return r;
    },
  };
  return { effects, registry: wrappedRegistry, alerts: wrappedAlerts };
}

// --- audit stores -------------------------------------------------------------------------

/** One kind of audit store the pipeline suites run against. */
export interface AuditStoreKind {
  name: string;
  setup(): Promise<void>;
  teardown(): Promise<void>;
  /** A fresh, empty store. */
  create(clock: Clock): Promise<AuditLog>;
  /** The same store as another process (a second Lambda container) sees it. */
  sibling(store: AuditLog, clock: Clock): AuditLog;
}

export const memoryStore: AuditStoreKind = {
  name: "MemoryAuditLog",
  setup: async () => {},
  teardown: async () => {},
  create: async (clock) => new MemoryAuditLog({ clock }),
  // Another object over the same records: shared data, no shared in-process state.
  sibling: (store) => ({
    append: (input) => store.append(input),
    find: (k, e, a) => store.find(k, e, a),
    byImage: (k) => store.byImage(k),
    byRepository: (k, q) => store.byRepository(k, q),
    byEventType: (t, q) => store.byEventType(t, q),
  }),
};

/** DynamoDbAuditLog on dynalite: a fresh table per store, one server per test file. */
export function dynamoStore(): AuditStoreKind {
  let dynamo: DynaliteHandle | undefined;
  let client: ReturnType<typeof documentClient> | undefined;
  const tables = new WeakMap<AuditLog, string>();
  const open = (tableName: string, clock: Clock) => {
    if (!client) throw new Error("dynamoStore.setup() was not run");
    return new DynamoDbAuditLog({ client, tableName, clock, retentionDays: 90 });
  };
  return {
    name: "DynamoDbAuditLog (dynalite)",
    async setup() {
      dynamo = await startDynalite();
      client = documentClient(dynamo.endpoint);
    },
    async teardown() {
      client?.destroy();
      await dynamo?.stop();
    },
    async create(clock) {
      if (!client) throw new Error("dynamoStore.setup() was not run");
      const tableName = `audit-${randomUUID()}`;
      await createAuditTable(client, tableName);
      const log = open(tableName, clock);
      tables.set(log, tableName);
      return log;
    },
    sibling(store, clock) {
      const tableName = tables.get(store);
      if (!tableName) throw new Error("not a store made by this dynamoStore");
      return open(tableName, clock);
    },
  };
}

// --- harness ------------------------------------------------------------------------------

export interface Harness {
  deps: PipelineDeps;
  registry: MemoryRegistry;
  alerts: RecordingAlerts;
  audit: AuditLog;
  time: ReturnType<typeof testClock>;
  log: ReturnType<typeof quietLog>;
  /** Adds the image with its manifest bytes (digest verified on every read) and its scan. */
  add(image: TestImage, scan: ScanResult, pushedAt?: string): void;
  /** The pipeline as another process sharing this store, registry and topic sees it. */
  sibling(): PipelineDeps;
}

export async function harness(store: AuditStoreKind, policy = testPolicy()): Promise<Harness> {
  const time = testClock();
  const registry = new MemoryRegistry("ecr");
  const alerts = new RecordingAlerts();
  const audit = await store.create(time.clock);
  const log = quietLog();
  // Short waits keep "another process is still at it" tests fast; real defaults are longer.
  const inFlight = { leaseSeconds: 60, waitMs: 2_000 };
  const deps: PipelineDeps = { registry, alerts, audit, policy, clock: time.clock, log, inFlight };
  return {
    deps,
    registry,
    alerts,
    audit,
    time,
    log,
    add(image, scan, pushedAt = T0) {
      registry.add(image.ref, scan, { manifest: image.manifest, pushedAt });
    },
    sibling: () => ({ ...deps, audit: store.sibling(audit, time.clock) }),
  };
}

// --- reading the trail --------------------------------------------------------------------

export async function actionsOf(audit: AuditLog, ref: ImageRef): Promise<AuditAction[]> {
  return (await audit.byImage(imageKey(ref))).map((r) => r.action);
}

export async function recordsOf(audit: AuditLog, ref: ImageRef): Promise<AuditRecord[]> {
  return audit.byImage(imageKey(ref));
}

/** Verifies the image's chain; on DynamoDB also against the head pointer and storage keys. */
export async function chainOk(audit: AuditLog, ref: ImageRef, now: Date): Promise<boolean> {
  const key = imageKey(ref);
  if (audit instanceof DynamoDbAuditLog) return (await audit.verifyImage(key, now)).ok;
  return verifyChain(await audit.byImage(key), now, { imageKey: key }).ok;
}

export function countBy<T>(items: readonly T[], keyOf: (t: T) => string): Map<string, number> {
  const out = new Map<string, number>();
  for (const item of items) out.set(keyOf(item), (out.get(keyOf(item)) ?? 0) + 1);
  return out;
}
