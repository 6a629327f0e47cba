import { createHash } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  BatchDeleteImageCommand,
  BatchGetImageCommand,
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
  ECRClient,
} from "@aws-sdk/client-ecr";
import {
  DescribeTasksCommand,
  ECSClient,
  ListClustersCommand,
  ListTasksCommand,
} from "@aws-sdk/client-ecs";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeEach, describe, expect, it, vi } from "vitest";
import { runCaptured } from "../../cli/run-captured.ts";
import { MemoryAuditLog } from "../../shared/adapters/memory/memory-audit-log.ts";
import type { RetentionPlan } from "../../shared/domain/retention-plan.ts";
import type { Alert } from "../../shared/ports.ts";

// gc on ECR through the real EcrRetentionRegistry and EcsInUseProvider, with the AWS APIs mocked
// (aws-sdk-client-mock); the audit table and topic are in memory (their stores have own tests).
const state = vi.hoisted(() => ({
  audit: undefined as unknown as MemoryAuditLog,
  alerts: [] as Alert[],
}));
vi.mock("../../cli/aws-targets.ts", () => ({
  auditLog: () => state.audit,
  snsAlerts: () => ({
    publish: async (alert: Alert) => {
      state.alerts.push(alert);
      return { messageId: "m-1" };
    },
  }),
  READ_ONLY_RETENTION_DAYS: 400,
}));

const ACCOUNT = "123456789012";
const REGION = "eu-west-1";
const REPO = "team/api";
const DAY = 86_400_000;
const digest = (name: string) => `sha256:${createHash("sha256").update(name).digest("hex")}`;
const OLD = digest("old");
const MIDDLE = digest("middle");
const NEW = digest("new");

const ecr = mockClient(ECRClient);
const ecs = mockClient(ECSClient);
const sts = mockClient(STSClient);
afterAll(() => {
  for (const m of [ecr, ecs, sts]) m.restore();
});

const dir = mkdtempSync(join(tmpdir(), "rg-cli-gc-ecr-"));
const POLICY = join(dir, "registry-guard.yaml");
writeFileSync(
  POLICY,
  [
    "version: 1",
    "retention:",
    "  rules:",
    "    - keep: latestPushedK",
    "      count: 1",
    "  protections:",
    "    inUse: true",
    "",
  ].join("\n"),
);

function detail(d: string, tag: string, ageDays: number) {
  return {
    registryId: ACCOUNT,
    repositoryName: REPO,
    imageDigest: d,
    imageTags: [tag],
    imageSizeInBytes: 50_000_000,
    imagePushedAt: new Date(Date.now() - ageDays * DAY),
    imageManifestMediaType: "application/vnd.docker.distribution.manifest.v2+json",
    artifactMediaType: "application/vnd.docker.container.image.v1+json",
    imageStatus: "ACTIVE" as const,
  };
}

beforeEach(() => {
  for (const m of [ecr, ecs, sts]) m.reset();
  state.audit = new MemoryAuditLog({ clock: () => new Date() });
  state.alerts = [];
  sts.on(GetCallerIdentityCommand).resolves({ Account: ACCOUNT, Arn: "arn:aws:iam::1:user/a" });
  ecr.on(DescribeRepositoriesCommand).resolves({
    repositories: [{ repositoryName: REPO, registryId: ACCOUNT }],
  });
  ecr.on(DescribeImagesCommand).resolves({
    imageDetails: [detail(OLD, "v1", 90), detail(MIDDLE, "v2", 30), detail(NEW, "v3", 1)],
  });
  ecr.on(BatchGetImageCommand).resolves({ images: [], failures: [] });
  ecr.on(BatchDeleteImageCommand).callsFake((input: { imageIds: { imageDigest: string }[] }) => ({
    imageIds: input.imageIds,
    failures: [],
  }));
  ecs.on(ListClustersCommand).resolves({ clusterArns: ["arn:aws:ecs:eu-west-1:1:cluster/prod"] });
  ecs.on(ListTasksCommand).resolves({ taskArns: ["arn:aws:ecs:eu-west-1:1:task/prod/t1"] });
  // A running task still uses the oldest image: in-use protection keeps it.
  ecs.on(DescribeTasksCommand).resolves({
    tasks: [
      {
        containers: [
          { image: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/${REPO}:v1`, imageDigest: OLD },
        ],
      },
    ],
  });
});

const gc = (...args: string[]) =>
  runCaptured(["gc", "--policy", POLICY, "--region", REGION, ...args]);

describe("gc on ECR", () => {
  it("--dry-run finds the account with STS, protects digests ECS runs, deletes nothing", async () => {
    const r = await gc("--dry-run", "--json");
    expect(r.code, r.stderr).toBe(0);
    const plan = JSON.parse(r.stdout).plan as RetentionPlan;
    expect(plan.repositories).toHaveLength(1);
    expect(plan.repositories[0]).toMatchObject({
      registryId: ACCOUNT,
      region: REGION,
      repository: REPO,
    });
    const by = new Map(plan.repositories[0]?.artifacts.map((a) => [a.digest, a]));
    expect(by.get(NEW)).toMatchObject({ decision: "keep", reason: "rule" });
    expect(by.get(OLD)).toMatchObject({ decision: "keep", reason: "in-use" });
    expect(by.get(MIDDLE)).toMatchObject({ decision: "delete", reason: "not-retained" });
    expect(sts.commandCalls(GetCallerIdentityCommand)).toHaveLength(1);
    expect(ecs.commandCalls(ListClustersCommand)).toHaveLength(1);
    expect(ecr.commandCalls(DescribeImagesCommand)[0]?.args[0].input).toMatchObject({
      registryId: ACCOUNT,
      repositoryName: REPO,
    });
    expect(ecr.commandCalls(BatchDeleteImageCommand)).toHaveLength(0);
    expect(state.audit.all()).toEqual([]);
    expect(state.alerts).toEqual([]);
  });

  it("--registry-id and --ecs-cluster are used as given: no STS, no ListClusters", async () => {
    const r = await gc("--dry-run", "--registry-id", ACCOUNT, "--ecs-cluster", "prod", "--json");
    expect(r.code, r.stderr).toBe(0);
    expect(sts.commandCalls(GetCallerIdentityCommand)).toHaveLength(0);
    expect(ecs.commandCalls(ListClustersCommand)).toHaveLength(0);
    expect(ecs.commandCalls(ListTasksCommand)[0]?.args[0].input).toMatchObject({ cluster: "prod" });
  });

  it("--apply deletes with BatchDeleteImage, audits the deletion and publishes the summary", async () => {
    const r = await gc(
      ...["--apply", "--registry-id", ACCOUNT, "--json"],
      ...["--table", "audit", "--topic-arn", `arn:aws:sns:${REGION}:${ACCOUNT}:alerts`],
    );
    expect(r.code, r.stderr).toBe(0);
    const calls = ecr.commandCalls(BatchDeleteImageCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input).toMatchObject({
      registryId: ACCOUNT,
      repositoryName: REPO,
      imageIds: [{ imageDigest: MIDDLE }],
    });
    expect(JSON.parse(r.stdout).applied).toMatchObject({ deleted: 1, failed: [] });
    expect(
      state.audit
        .all()
        .filter((a) => a.action === "image-deleted")
        .map((a) => a.digest),
    ).toEqual([MIDDLE]);
    expect(state.alerts).toHaveLength(1);
  });

  it("exits 3 when ECS cannot say what runs: nothing is planned or deleted", async () => {
    ecs
      .on(ListClustersCommand)
      .rejects(Object.assign(new Error("denied"), { name: "AccessDeniedException" }));
    const r = await gc(
      ...["--apply", "--registry-id", ACCOUNT],
      ...["--table", "audit", "--topic-arn", `arn:aws:sns:${REGION}:${ACCOUNT}:alerts`],
    );
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("could not read the digests in use from ecs");
    expect(ecr.commandCalls(BatchDeleteImageCommand)).toHaveLength(0);
  });

  it("refuses OCI-only flags and a malformed registry id before calling AWS", async () => {
    const r = await gc("--dry-run", "--registry-ca", "ca.pem");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--registry-ca is for an OCI registry");
    const bad = await gc("--dry-run", "--registry-id", "12");
    expect(bad.code).toBe(2);
    expect(sts.calls()).toHaveLength(0);
    expect(ecr.calls()).toHaveLength(0);
  });
});
