import { createHash, randomUUID } from "node:crypto";
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { readFileSync } from "node:fs";
import type { ClientRequest } from "node:http";
import { ECRClient } from "@aws-sdk/client-ecr";
import { ECSClient } from "@aws-sdk/client-ecs";
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import type { Context } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { vi } from "vitest";
import { actionOfCommand, FUNCTION_SDK_CALLS } from "../../infra/data/function-sdk-calls.ts";
import type { FunctionName } from "../../infra/data/function-specs.ts";
import { DynamoDbAuditLog } from "../../shared/adapters/dynamodb/dynamodb-audit-log.ts";
import {
  createAuditTable,
  type DynaliteHandle,
  documentClient,
  startDynalite,
} from "./dynalite.ts";
import { FakeEcr } from "./fake-ecr.ts";

/**
 * Runs the Lambda entry points as deployed: env-configured module, real middy + Powertools,
 * DynamoDB API served by dynalite, ECR and SNS mocked at the SDK client (every instance).
 */

export const ACCOUNT = "123456789012";
export const REGION = "us-east-1";
export const TOPIC_ARN = `arn:aws:sns:${REGION}:${ACCOUNT}:registry-guard-alerts`;
export const POLICY_FILE = new URL("../fixtures/policies/quarantine.yaml", import.meta.url)
  .pathname;

/** The handler as Lambda calls it (middy's handler also accepts a callback we never pass). */
export type LambdaHandler = (event: unknown, context: Context) => Promise<unknown>;

const MODULES: Record<FunctionName, () => Promise<{ handler: unknown }>> = {
  "on-image-push": () => import("../../functions/on-image-push.ts"),
  "on-scan-complete": () => import("../../functions/on-scan-complete.ts"),
  "scan-timeout-check": () => import("../../functions/scan-timeout-check.ts"),
  "retention-run": () => import("../../functions/retention-run.ts"),
};

export function fakeLambdaContext(
  functionName: string,
  remainingMs: () => number = () => 30_000,
): Context {
  const requestId = randomUUID();
  const fail = () => {
    throw new Error("deprecated Lambda context callback used");
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${functionName}`,
    memoryLimitInMB: "512",
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `2024/06/01/[$LATEST]${requestId.replaceAll("-", "")}`,
    getRemainingTimeInMillis: remainingMs,
    done: fail,
    fail,
    succeed: fail,
  };
}

/** sha256:<hex> of a manifest's UTF-8 bytes, computed here independently of the adapter. */
export function sha256Digest(text: string): string {
  return `sha256:${createHash("sha256").update(text, "utf8").digest("hex")}`;
}

/** A small OCI image manifest, distinct per seed, and its digest. */
export function ociManifest(seed: string): { manifest: string; digest: string } {
  const blob = (what: string) => sha256Digest(`${seed}/${what}`);
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: {
      mediaType: "application/vnd.oci.image.config.v1+json",
      digest: blob("config"),
      size: 1471,
    },
    layers: [
      {
        mediaType: "application/vnd.oci.image.layer.v1.tar+gzip",
        digest: blob("layer-0"),
        size: 3370628,
      },
    ],
  });
  return { manifest, digest: sha256Digest(manifest) };
}

/** A fresh copy of a raw event fixture (test/fixtures/events/<name>.json). */
export function eventFixture(name: string): Record<string, unknown> {
  const url = new URL(`../fixtures/events/${name}.json`, import.meta.url);
  return JSON.parse(readFileSync(url, "utf8")) as Record<string, unknown>;
}

/** The fixture's `detail`, typed loosely for edits. */
export function detailOf(event: Record<string, unknown>): Record<string, unknown> {
  return event.detail as Record<string, unknown>;
}

/** One EMF document Powertools printed. */
export interface EmfDocument {
  _aws: { CloudWatchMetrics: { Namespace: string; Metrics: { Name: string }[] }[] };
  [key: string]: unknown;
}

/** One finished invocation, with what it printed and which DynamoDB operations it sent. */
export interface Invocation {
  result?: unknown;
  error?: unknown;
  /** stdout and stderr lines (Powertools logs and EMF), parsed when JSON. */
  output: unknown[];
  emf: EmfDocument[];
  /** Metric names across every EMF document printed. */
  metrics: string[];
  /** DynamoDB operations, in order (PutItem, Query …), from the requests on the wire. */
  dynamoOps: string[];
}

const WRITE_OPS = new Set([
  "PutItem",
  "UpdateItem",
  "DeleteItem",
  "BatchWriteItem",
  "TransactWriteItems",
]);

export function isDynamoWrite(op: string): boolean {
  return WRITE_OPS.has(op);
}

/**
 * Every outgoing HTTP request while `fn` runs, seen through Node's `http.client.request.start`
 * diagnostics channel: nothing in the code under test is wrapped, and a request that escaped the
 * SDK mocks would show up here too.
 */
async function recordRequests<T>(
  fn: () => Promise<T>,
): Promise<{ value: T; requests: { host: string; target: string }[] }> {
  const requests: { host: string; target: string }[] = [];
  const onStart = (message: unknown) => {
    const request = (message as { request: ClientRequest }).request;
    requests.push({
      host: String(request.getHeader("host") ?? request.host),
      target: String(request.getHeader("x-amz-target") ?? ""),
    });
  };
  subscribe("http.client.request.start", onStart);
  try {
    return { value: await fn(), requests };
  } finally {
    unsubscribe("http.client.request.start", onStart);
  }
}

/**
 * Captures (and silences) stdout and stderr, where Powertools writes its JSON logs (WARN and
 * ERROR to stderr) and its EMF metrics (stdout).
 */
async function captureOutput<T>(
  fn: () => Promise<T>,
): Promise<{ value: T; stdout: string[]; stderr: string[] }> {
  const capture = (stream: NodeJS.WriteStream) => {
    const chunks: string[] = [];
    const spy = vi.spyOn(stream, "write").mockImplementation((chunk: unknown) => {
      chunks.push(typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString());
      return true;
    });
    return {
      lines: () => chunks.join("").split("\n").filter(Boolean),
      restore: () => spy.mockRestore(),
    };
  };
  const out = capture(process.stdout);
  const err = capture(process.stderr);
  try {
    return { value: await fn(), stdout: out.lines(), stderr: err.lines() };
  } finally {
    out.restore();
    err.restore();
  }
}

function parseLine(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return line;
  }
}

function isEmf(x: unknown): x is EmfDocument {
  return typeof x === "object" && x !== null && "_aws" in x;
}

/**
 * One test file's world: dynalite with a fresh audit table per test, ECR as a stateful fake,
 * SNS publishing successfully unless a test says otherwise.
 */
export class HandlerHarness {
  readonly ecrMock = mockClient(ECRClient);
  readonly snsMock = mockClient(SNSClient);
  /** Lambda (retention-run's continuations): every Invoke is queued (202) unless a test says otherwise. */
  readonly lambdaMock = mockClient(LambdaClient);
  /** ECS (retention's in-use protection): no command answers unless a test sets one up. */
  readonly ecsMock = mockClient(ECSClient);
  readonly ecr = new FakeEcr(this.ecrMock);
  readonly dynamo: DynaliteHandle;
  readonly client: ReturnType<typeof documentClient>;
  tableName = "";
  /** Every "service:Operation" a handler sent, per function, across the file's tests. */
  readonly reached = new Map<FunctionName, Set<string>>();

  private constructor(dynamo: DynaliteHandle) {
    this.dynamo = dynamo;
    this.client = documentClient(dynamo.endpoint);
  }

  static async start(): Promise<HandlerHarness> {
    return new HandlerHarness(await startDynalite());
  }

  /** A new audit table, mocks reset, and the Lambda environment pointing at both. */
  async reset(): Promise<void> {
    this.ecrMock.reset();
    this.snsMock.reset();
    this.lambdaMock.reset();
    this.ecsMock.reset();
    this.ecr.install();
    this.lambdaMock.onAnyCommand().rejects(new Error("unexpected Lambda command"));
    this.lambdaMock.on(InvokeCommand).resolves({ StatusCode: 202 });
    this.ecsMock.onAnyCommand().rejects(new Error("unexpected ECS command"));
    this.snsMock.onAnyCommand().rejects(new Error("unexpected SNS command"));
    this.snsMock.on(PublishCommand).callsFake(() => ({ MessageId: randomUUID() }));
    this.tableName = `audit-${randomUUID()}`;
    await createAuditTable(this.client, this.tableName);
    vi.unstubAllEnvs();
    const env: Record<string, string> = {
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: "test",
      AWS_SECRET_ACCESS_KEY: "test",
      // SDK v3 reads service-specific endpoints from AWS_ENDPOINT_URL_<SERVICE_ID>.
      AWS_ENDPOINT_URL_DYNAMODB: this.dynamo.endpoint,
      TABLE_NAME: this.tableName,
      TOPIC_ARN,
      POLICY_FILE,
      POWERTOOLS_METRICS_DISABLED: "false",
    };
    for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v);
    for (const k of ["AWS_ENDPOINT_URL", "AWS_PROFILE", "POWERTOOLS_DEV"]) vi.stubEnv(k, undefined);
  }

  /**
   * Loads a function module as a fresh container would: env is read now, clients built once.
   * `region` is the function's region (EventBridge delivers an event to functions in its region).
   */
  async load(name: FunctionName, region = REGION): Promise<LambdaHandler> {
    vi.stubEnv("AWS_LAMBDA_FUNCTION_NAME", name);
    vi.stubEnv("AWS_REGION", region);
    vi.resetModules();
    const mod = await MODULES[name]();
    return mod.handler as LambdaHandler;
  }

  /**
   * Invokes a loaded handler once; a thrown error is returned, not rethrown. `remainingMs` is
   * what the context's getRemainingTimeInMillis answers (default 30 s).
   */
  async invoke(
    name: FunctionName,
    handler: LambdaHandler,
    event: unknown,
    opts: { remainingMs?: () => number } = {},
  ): Promise<Invocation> {
    const clients = [this.ecrMock, this.snsMock, this.lambdaMock, this.ecsMock] as const;
    const before = clients.map((c) => c.calls().length);
    const run = await captureOutput(() =>
      recordRequests(async () => {
        try {
          return { result: await handler(event, fakeLambdaContext(name, opts.remainingMs)) };
        } catch (error) {
          return { error };
        }
      }),
    );
    const { value: outcome, requests } = run.value;
    const foreign = requests.filter((r) => !this.dynamo.endpoint.endsWith(r.host));
    if (foreign.length > 0) {
      throw new Error(`a handler reached the network: ${JSON.stringify(foreign)}`);
    }
    const dynamoOps = requests.map((r) => r.target.replace(/^DynamoDB_\d+\./, ""));
    const output = [...run.stdout, ...run.stderr].map(parseLine);
    const emf = run.stdout.map(parseLine).filter(isEmf);
    const reached = this.reached.get(name) ?? new Set<string>();
    this.reached.set(name, reached);
    for (const op of dynamoOps) reached.add(`dynamodb:${op}`);
    const services = ["ecr", "sns", "lambda", "ecs"];
    clients.forEach((client, i) => {
      for (const c of client.calls().slice(before[i])) {
        reached.add(actionOfCommand(services[i] as string, commandName(c)));
      }
    });
    return {
      ...outcome,
      output,
      emf,
      metrics: emf
        .flatMap((d) => d._aws.CloudWatchMetrics.flatMap((m) => m.Metrics))
        .map((m) => m.Name),
      dynamoOps,
    };
  }

  /**
   * The operations handlers sent in this file that their function does not declare in
   * FUNCTION_SDK_CALLS (the list its IAM role is generated from), as "function → operation".
   */
  undeclaredSdkCalls(): string[] {
    return [...this.reached].flatMap(([fn, ops]) =>
      [...ops].filter((op) => !FUNCTION_SDK_CALLS[fn].includes(op)).map((op) => `${fn} → ${op}`),
    );
  }

  /** Every item in the audit table (records and head pointers). */
  async items(): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new ScanCommand({
          TableName: this.tableName,
          ConsistentRead: true,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    return items;
  }

  /** The audit store over the current table, for reading and verifying what handlers wrote. */
  audit(clock: () => Date = () => new Date()): DynamoDbAuditLog {
    return new DynamoDbAuditLog({
      client: this.client,
      tableName: this.tableName,
      clock,
      retentionDays: 90,
    });
  }

  async stop(): Promise<void> {
    vi.unstubAllEnvs();
    this.ecrMock.restore();
    this.snsMock.restore();
    this.lambdaMock.restore();
    this.ecsMock.restore();
    this.client.destroy();
    await this.dynamo.stop();
  }
}

/** "DescribeImages" for a recorded DescribeImagesCommand call. */
export function commandName(call: { args: readonly unknown[] }): string {
  const command = call.args[0] as { constructor: { name: string } };
  return command.constructor.name.replace(/Command$/, "");
}
