import type { Writable } from "node:stream";
import { ConsoleAlerts } from "../shared/adapters/console/console-alerts.ts";
import { DynamoDbAuditLog } from "../shared/adapters/dynamodb/dynamodb-audit-log.ts";
import { policyKmsPublicKeySource } from "../shared/adapters/kms/sdk-kms-public-key-source.ts";
import { OciRegistry } from "../shared/adapters/oci/oci-registry.ts";
import type { LoadedPolicy } from "../shared/domain/policy-load.ts";
import { resolvePolicy } from "../shared/domain/policy-resolve.ts";
import type { RegistryEvent } from "../shared/domain/registry-event.ts";
import { handleEvent } from "../shared/pipeline/handle-event.ts";
import type { PipelineDeps } from "../shared/pipeline/pipeline-deps.ts";
import type { PipelineOutcome } from "../shared/pipeline/pipeline-outcome.ts";
import type { Alerts, Clock, Log } from "../shared/ports.ts";
import { type DataDir, dataDir, ensureDataDir } from "./data-dir.ts";
import { EventQueue, type EventQueueOptions } from "./event-queue.ts";
import { FanoutAlerts } from "./fanout-alerts.ts";
import { type LocalDynamoDb, startLocalDynamoDb } from "./local-dynamodb.ts";
import { assertPortFree, freePortOutsideEphemeralRange } from "./port-check.ts";
import { QueueFullError } from "./queue-full-error.ts";
import { loadOrCreateSecret } from "./receiver-secret.ts";
import { ensureRegistryBinary } from "./registry-binary.ts";
import { type RegistryProcess, startRegistryProcess } from "./registry-process.ts";
import { isRetryable } from "./retryable-error.ts";
import { type ScanTimeoutTimer, startScanTimeoutTimer } from "./scan-timeout-timer.ts";
import { WebhookAlerts } from "./webhook-alerts.ts";
import { startWebhookServer, type WebhookServer } from "./webhook-server.ts";

export const DEFAULT_PORTS = { registry: 5000, receiver: 5050, dynamodb: 4567 } as const;
export const DEFAULT_TABLE = "registry-guard-audit";
const HOST = "127.0.0.1";

export interface LocalRuntimeOptions {
  /** `.registry-guard` by default; everything the runtime keeps lives here. */
  dataDir?: string;
  /** 0: a free port (tests, benchmarks). Defaults in DEFAULT_PORTS. */
  registryPort?: number;
  receiverPort?: number;
  dynamodbPort?: number;
  tableName?: string;
  policy: LoadedPolicy;
  /** Where readable alert text goes (the console); alerts.jsonl is always written. */
  alertsOut: Writable;
  /** Also POST each alert's JSON here. */
  alertWebhook?: string;
  log: Log;
  /** The scan-timeout sweep's period. Default one minute; 0 turns the timer off. */
  sweepIntervalMs?: number;
  /** Whether the registry notifies the receiver. Default true. */
  registryNotifications?: boolean;
  /** Queue tuning (tests shorten the backoff). */
  queue?: Pick<EventQueueOptions, "concurrency" | "maxAttempts" | "backoffMs">;
  /** Receiver body limit. */
  maxBodyBytes?: number;
  /**
   * Events waiting or in progress beyond which the receiver answers 503 and the registry
   * retries later (it keeps undelivered notifications and backs off). Default 1000.
   */
  maxBacklog?: number;
  clock?: Clock;
  /** Install notices (apt-get) go here. */
  notice?: (line: string) => void;
  /** What the pipeline did, per event handled (and per image the sweep decided: no event). */
  onOutcome?: (outcome: PipelineOutcome, event?: RegistryEvent) => void;
  /** The registry exited without being asked to. */
  onRegistryExit?: (detail: string) => void;
}

export interface LocalRuntime {
  dir: DataDir;
  /** http://127.0.0.1:<port> */
  registryUrl: string;
  /** 127.0.0.1:<port>: the registryId of the images. */
  registryHost: string;
  receiverUrl: string;
  dynamodbEndpoint: string;
  /** A document client for the local DynamoDB (what the audit log uses). */
  documentClient: LocalDynamoDb["documentClient"];
  tableName: string;
  /** The receiver's shared secret (never print it). */
  secret: string;
  secretCreated: boolean;
  tableCreated: boolean;
  registry: OciRegistry;
  audit: DynamoDbAuditLog;
  deps: PipelineDeps;
  queue: EventQueue;
  sweep: ScanTimeoutTimer;
  /** The registry process now (a new one after restartRegistry). */
  registryProcess(): RegistryProcess;
  /** Starts the registry again with the same port, storage and notifications. */
  restartRegistry(): Promise<void>;
  /**
   * Stops everything this runtime started: the sweep and the receiver (no new events), the queue
   * (what was accepted finishes, 10 s at most), the registry, dynalite. Safe to call twice.
   */
  stop(): Promise<void>;
}

/** Runs every step even when one fails: stopping must not leave a process behind. */
async function inOrder(steps: (() => Promise<void>)[]): Promise<void> {
  for (const step of steps) await step().catch(() => {});
}

/**
 * The whole pipeline on one machine: the CNCF distribution registry (a child process), dynalite
 * with its data on disk, the webhook receiver feeding an in-process queue whose handler runs
 * the real pipeline (OCI adapter, DynamoDB audit log, console + JSONL + optional webhook
 * alerts), and the scan-timeout sweep on a timer. All on 127.0.0.1. On failure, whatever had
 * started is stopped again before the error is thrown.
 */
export async function startLocalRuntime(opts: LocalRuntimeOptions): Promise<LocalRuntime> {
  const cleanups: (() => Promise<void>)[] = [];
  // While starting: stop whatever had started, newest first.
  const unwind = () => inOrder(cleanups.splice(0).reverse());
  try {
    const ports = {
      registry: opts.registryPort ?? DEFAULT_PORTS.registry,
      receiver: opts.receiverPort ?? DEFAULT_PORTS.receiver,
      dynamodb: opts.dynamodbPort ?? DEFAULT_PORTS.dynamodb,
    };
    // Every port is checked before anything starts: a clear error, and nothing to clean up.
    if (ports.registry !== 0)
      await assertPortFree(HOST, ports.registry, "the registry", "--registry-port");
    if (ports.receiver !== 0)
      await assertPortFree(HOST, ports.receiver, "the webhook receiver", "--receiver-port");
    if (ports.dynamodb !== 0)
      await assertPortFree(HOST, ports.dynamodb, "the local DynamoDB", "--dynamodb-port");
    // A bad --alert-webhook is refused before anything starts, too.
    const webhookAlerts = opts.alertWebhook ? new WebhookAlerts({ url: opts.alertWebhook }) : null;
    const binary = await ensureRegistryBinary({ notice: opts.notice ?? (() => {}) });
    const registryPort =
      ports.registry === 0 ? await freePortOutsideEphemeralRange(HOST) : ports.registry;
    const registryHost = `${HOST}:${registryPort}`;

    const dir = dataDir(opts.dataDir);
    await ensureDataDir(dir);
    const { secret, created: secretCreated } = await loadOrCreateSecret(dir.secret);
    const clock = opts.clock ?? (() => new Date());
    const tableName = opts.tableName ?? DEFAULT_TABLE;

    const dynamo: LocalDynamoDb = await startLocalDynamoDb({
      host: HOST,
      port: ports.dynamodb,
      path: dir.dynamodb,
      tableName,
    });
    cleanups.push(() => dynamo.stop());
    const audit = new DynamoDbAuditLog({
      client: dynamo.documentClient,
      tableName,
      clock,
      retentionDays: resolvePolicy(opts.policy, "*").audit.retentionDays,
    });
    const registry = new OciRegistry({ url: `http://${registryHost}`, log: opts.log });
    cleanups.push(async () => registry.close());
    const sinks: { name: string; alerts: Alerts }[] = [
      {
        name: "console",
        alerts: new ConsoleAlerts({ out: opts.alertsOut, jsonlPath: dir.alerts }),
      },
    ];
    if (webhookAlerts) sinks.push({ name: "webhook", alerts: webhookAlerts });
    // Keys the policy trusts by kmsArn are fetched with the local AWS credentials.
    const kms = policyKmsPublicKeySource(opts.policy);
    if (kms) cleanups.push(async () => kms.destroy());
    const deps: PipelineDeps = {
      registry,
      audit,
      alerts: new FanoutAlerts(sinks),
      policy: opts.policy,
      clock,
      log: opts.log,
      ...(kms ? { kms } : {}),
    };

    const maxBacklog = opts.maxBacklog ?? 1000;
    const queue = new EventQueue({
      handler: async (event) => {
        if (event.kind === "ignored") return;
        const outcome = await handleEvent(deps, event);
        opts.onOutcome?.(outcome, event);
      },
      concurrency: opts.queue?.concurrency ?? 8,
      maxAttempts: opts.queue?.maxAttempts ?? 8,
      backoffMs: opts.queue?.backoffMs ?? ((n) => Math.min(250 * 2 ** (n - 1), 10_000)),
      isRetryable,
      log: opts.log,
    });
    // Let what was accepted finish, but never hang on a registry that is gone.
    const drain = () =>
      Promise.race([queue.close(), new Promise((r) => setTimeout(r, 10_000).unref())]);
    cleanups.push(async () => void (await drain()));

    const receiver: WebhookServer = await startWebhookServer({
      host: HOST,
      port: ports.receiver,
      secret,
      registryHost,
      ...(opts.maxBodyBytes ? { maxBodyBytes: opts.maxBodyBytes } : {}),
      ignoreRepository: (repo) => registry.quarantineRepositories.isQuarantine(repo),
      onEvents: (events) => {
        // Backpressure: refuse (503, the sender retries) rather than queue without bound.
        const s = queue.stats();
        const backlog = s.queued + s.inFlight + s.retrying;
        if (backlog + events.length > maxBacklog) throw new QueueFullError(backlog, maxBacklog);
        queue.enqueue(events);
      },
      log: opts.log,
    });
    cleanups.push(() => receiver.close());

    const notifications =
      opts.registryNotifications === false
        ? undefined
        : { url: `${receiver.url}/webhooks/distribution`, secret };
    const startRegistry = () =>
      startRegistryProcess({
        binary,
        host: HOST,
        port: registryPort,
        storageDir: dir.registryStorage,
        configPath: dir.registryConfig,
        logPath: dir.registryLog,
        ...(notifications ? { notifications } : {}),
        onUnexpectedExit: (code, signal, tail) =>
          opts.onRegistryExit?.(
            `the registry exited (${signal ?? `code ${code}`})${tail.trim() ? `: ${tail.trim().split("\n").at(-1)}` : ""}; its log is ${dir.registryLog}`,
          ),
      });
    let registryProcess = await startRegistry();
    cleanups.push(() => registryProcess.stop());

    const sweep = startScanTimeoutTimer(deps, {
      intervalMs: opts.sweepIntervalMs ?? 60_000,
      ...(opts.onOutcome ? { onOutcome: (o: PipelineOutcome) => opts.onOutcome?.(o) } : {}),
    });
    cleanups.push(() => sweep.stop());

    let stopping: Promise<void> | undefined;
    return {
      dir,
      registryUrl: `http://${registryHost}`,
      registryHost,
      receiverUrl: receiver.url,
      dynamodbEndpoint: dynamo.endpoint,
      documentClient: dynamo.documentClient,
      tableName,
      secret,
      secretCreated,
      tableCreated: dynamo.createdTable,
      registry,
      audit,
      deps,
      queue,
      sweep,
      registryProcess: () => registryProcess,
      restartRegistry: async () => {
        await registryProcess.stop();
        registryProcess = await startRegistry();
      },
      // New events stop first, then what was accepted finishes while the registry is still up.
      stop: () => {
        cleanups.length = 0;
        stopping ??= inOrder([
          () => sweep.stop(),
          () => receiver.close(),
          async () => void (await drain()),
          () => registryProcess.stop(),
          async () => registry.close(),
          () => dynamo.stop(),
        ]);
        return stopping;
      },
    };
  } catch (err) {
    await unwind();
    throw err;
  }
}
