import { BatchDeleteImageCommand } from "@aws-sdk/client-ecr";
import { DescribeTasksCommand, ListClustersCommand, ListTasksCommand } from "@aws-sdk/client-ecs";
import { InvokeCommand } from "@aws-sdk/client-lambda";
import { PublishCommand } from "@aws-sdk/client-sns";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import type { RetentionPayloadError } from "../../shared/retention/retention-payload.ts";
import {
  ACCOUNT,
  HandlerHarness,
  isDynamoWrite,
  type LambdaHandler,
  ociManifest,
  REGION,
} from "../support/lambda-harness.ts";

const FN = "retention-run";
const FUNCTION_ARN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${FN}`;
const policy = (name: string) => new URL(`../fixtures/policies/${name}`, import.meta.url).pathname;
const DAY = 86_400_000;
let h: HandlerHarness;

beforeAll(async () => {
  h = await HandlerHarness.start();
});
beforeEach(async () => {
  await h.reset();
  vi.stubEnv("POLICY_FILE", policy("retention.yaml"));
  // The fake context has 30 s left: a 10 s margin lets a step run to its end.
  vi.stubEnv("RETENTION_SAFETY_MARGIN_SECONDS", "10");
});
afterAll(async () => {
  // Every SDK operation the handler sent in this file is one its IAM role is declared to grant.
  const undeclared = h?.undeclaredSdkCalls() ?? [];
  await h?.stop();
  expect(undeclared).toEqual([]);
});

/** An image in ECR, pushed `ageDays` ago. */
function image(repository: string, seed: string, ageDays: number, tags: string[] = []) {
  const { manifest, digest } = ociManifest(`${repository}/${seed}`);
  h.ecr.add({
    region: REGION,
    registryId: ACCOUNT,
    repository,
    digest,
    manifest,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    artifactMediaType: "application/vnd.oci.image.config.v1+json",
    tags,
    pushedAt: new Date(Date.now() - ageDays * DAY),
    status: "ACTIVE",
    sizeBytes: 1_000_000,
  });
  return digest;
}

/** app/a: the newest tagged push (kept) and `old` untagged images of 30 days (deleted). */
function repositoryWithGarbage(repository: string, old: number) {
  const kept = image(repository, "newest", 1, ["v2"]);
  const garbage = Array.from({ length: old }, (_, i) => image(repository, `old-${i}`, 30));
  return { kept, garbage };
}

function deleteCalls() {
  return h.ecrMock.commandCalls(BatchDeleteImageCommand).map((c) => c.args[0].input);
}

function publishes() {
  return h.snsMock.commandCalls(PublishCommand).map((c) => c.args[0].input);
}

function alertJson(i = 0): Record<string, unknown> {
  const message = JSON.parse(publishes()[i]?.Message ?? "{}") as { default?: string; sqs?: string };
  return JSON.parse(message.sqs ?? message.default ?? "{}") as Record<string, unknown>;
}

async function run(handler: LambdaHandler, event: unknown, remainingMs?: () => number) {
  return h.invoke(FN, handler, event, remainingMs ? { remainingMs } : {});
}

describe("retention-run", () => {
  it("a dry run deletes nothing, writes nothing, logs each repository's plan and alerts it", async () => {
    const a = repositoryWithGarbage("app/a", 3);
    const b = repositoryWithGarbage("app/b", 2);
    const handler = await h.load(FN);
    const out = await run(handler, { dryRun: true, repositories: ["app/**"] });
    expect(out.error).toBeUndefined();
    expect(out.result).toMatchObject({
      dryRun: true,
      repositories: 2,
      kept: 2,
      deleted: 5,
      failed: 0,
      continued: false,
    });
    expect(deleteCalls()).toEqual([]);
    expect(out.dynamoOps.filter(isDynamoWrite)).toEqual([]);
    for (const d of [a.kept, ...a.garbage, b.kept, ...b.garbage]) {
      expect(
        h.ecr.get(ACCOUNT, d === a.kept || a.garbage.includes(d) ? "app/a" : "app/b", d),
      ).toBeDefined();
    }
    const plans = out.output.filter(
      (l): l is { message: string; repository: string; plan: { artifacts: unknown[] } } =>
        (l as { message?: string }).message === "retention plan",
    );
    expect(plans.map((p) => p.repository)).toEqual(["app/a", "app/b"]);
    expect(plans[0]?.plan.artifacts).toHaveLength(4);
    expect(publishes()).toHaveLength(1);
    expect(publishes()[0]?.MessageAttributes?.eventType?.StringValue).toBe("retention-planned");
    expect(out.metrics).toContain("RetentionPlannedDeletions");
  });

  it("applying deletes exactly the plan in batches of at most 100, and audits every deletion", async () => {
    const { kept, garbage } = repositoryWithGarbage("app/a", 201);
    const handler = await h.load(FN);
    const out = await run(handler, { dryRun: false });
    expect(out.error).toBeUndefined();
    expect(out.result).toMatchObject({ dryRun: false, deleted: 201, failed: 0, continued: false });
    const calls = deleteCalls();
    expect(calls.map((c) => c.imageIds?.length)).toEqual([100, 100, 1]);
    const sent = calls.flatMap((c) => c.imageIds?.map((id) => id.imageDigest) ?? []);
    expect(new Set(sent)).toEqual(new Set(garbage));
    expect(sent).toHaveLength(201);
    expect(h.ecr.get(ACCOUNT, "app/a", kept)).toBeDefined();
    for (const d of garbage) expect(h.ecr.get(ACCOUNT, "app/a", d)).toBeUndefined();
    const audited = await h.audit().byEventType("retention-applied", {});
    expect(audited.map((r) => r.digest).sort()).toEqual([...garbage].sort());
    expect(audited.every((r) => r.action === "image-deleted")).toBe(true);
    expect(publishes()).toHaveLength(1);
    expect(alertJson()).toMatchObject({
      eventType: "retention-applied",
      totals: { deleted: 201, bytesReclaimed: 201_000_000 },
    });
  });

  it("near its time limit it continues itself with a cursor, and the last step alerts for the whole run", async () => {
    const a = repositoryWithGarbage("app/a", 2);
    const b = repositoryWithGarbage("app/b", 3);
    const handler = await h.load(FN);
    const first = await run(handler, { dryRun: false }, () => 1_000);
    expect(first.error).toBeUndefined();
    expect(first.result).toMatchObject({ continued: true, cursor: "app/a", deleted: 2 });
    expect(publishes()).toEqual([]);
    const invokes = h.lambdaMock.commandCalls(InvokeCommand).map((c) => c.args[0].input);
    expect(invokes).toHaveLength(1);
    expect(invokes[0]).toMatchObject({ FunctionName: FUNCTION_ARN, InvocationType: "Event" });
    const next = JSON.parse(new TextDecoder().decode(invokes[0]?.Payload as Uint8Array));
    expect(next).toMatchObject({
      dryRun: false,
      cursor: "app/a",
      continuation: 1,
      runId: (first.result as { runId: string }).runId,
      totals: { steps: 1, deleted: 2 },
    });
    for (const d of b.garbage) expect(h.ecr.get(ACCOUNT, "app/b", d)).toBeDefined();

    // Lambda delivers the continuation to a warm container of the same function.
    const second = await run(handler, next, () => 1_000);
    expect(second.error).toBeUndefined();
    expect(second.result).toMatchObject({ continued: false, step: 2, repositories: 2, deleted: 5 });
    expect(h.lambdaMock.commandCalls(InvokeCommand)).toHaveLength(1);
    expect(publishes()).toHaveLength(1);
    expect(alertJson()).toMatchObject({
      planId: (first.result as { runId: string }).runId,
      totals: { repositories: 2, deleted: 5, kept: 2 },
    });
    for (const d of [...a.garbage, ...b.garbage]) {
      expect(h.ecr.get(ACCOUNT, a.garbage.includes(d) ? "app/a" : "app/b", d)).toBeUndefined();
    }
  });

  it.each([
    ["dryRun as a string", { dryRun: "false" }, "dryRun"],
    ["a misspelt field", { dryrun: false }, "dryrun"],
    ["an empty glob list", { repositories: [] }, "repositories"],
  ])("rejects %s with a specific error and calls nothing", async (_label, event, path) => {
    repositoryWithGarbage("app/a", 2);
    const handler = await h.load(FN);
    const out = await run(handler, event);
    // The handler's module graph is a fresh one (a new container): match by name and code.
    expect(out.error).toMatchObject({ name: "RetentionPayloadError", code: "RETENTION_PAYLOAD" });
    expect((out.error as RetentionPayloadError).issues.map((i) => i.path)).toContain(path);
    expect(h.ecrMock.calls()).toEqual([]);
    expect(h.snsMock.calls()).toEqual([]);
    expect(h.lambdaMock.calls()).toEqual([]);
    expect(out.dynamoOps).toEqual([]);
    expect(out.metrics).toContain("InvalidPayload");
  });

  it("with inUse protection, a digest a running ECS task uses is kept", async () => {
    vi.stubEnv("POLICY_FILE", policy("retention-in-use.yaml"));
    const { kept, garbage } = repositoryWithGarbage("app/a", 3);
    const used = garbage[0] as string;
    const cluster = `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/prod`;
    const task = `arn:aws:ecs:${REGION}:${ACCOUNT}:task/prod/0123456789abcdef0123456789abcdef`;
    h.ecsMock.on(ListClustersCommand).resolves({ clusterArns: [cluster] });
    h.ecsMock.on(ListTasksCommand).resolves({ taskArns: [task] });
    h.ecsMock.on(DescribeTasksCommand).resolves({
      tasks: [
        {
          taskArn: task,
          clusterArn: cluster,
          lastStatus: "RUNNING",
          containers: [
            {
              name: "web",
              image: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/app/a:old`,
              imageDigest: used,
            },
          ],
        },
      ],
    });
    const handler = await h.load(FN);
    const out = await run(handler, { dryRun: false, repositories: ["app/a"] });
    expect(out.error).toBeUndefined();
    expect(out.result).toMatchObject({ deleted: 2 });
    expect(h.ecr.get(ACCOUNT, "app/a", used)).toBeDefined();
    expect(h.ecr.get(ACCOUNT, "app/a", kept)).toBeDefined();
    expect(h.ecsMock.commandCalls(ListTasksCommand)[0]?.args[0].input).toMatchObject({
      cluster,
      desiredStatus: "RUNNING",
    });
  });
});
