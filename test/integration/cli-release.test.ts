import { createHash, randomUUID } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  BatchGetImageCommand,
  DescribeImagesCommand,
  ECRClient,
  UpdateImageStorageClassCommand,
} from "@aws-sdk/client-ecr";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { runCaptured } from "../../cli/run-captured.ts";
import { DynamoDbAuditLog } from "../../shared/adapters/dynamodb/dynamodb-audit-log.ts";
import { releaseCommand } from "../../shared/domain/alert-text.ts";
import { type ImageRef, imageKey } from "../../shared/domain/image.ts";
import {
  createAuditTable,
  type DynaliteHandle,
  documentClient,
  startDynalite,
} from "../support/dynalite.ts";

// ECR, SNS and STS are mocked; the audit table is real DynamoDB API (dynalite).
const MANIFEST =
  '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:7d246653d0511db2a6b2e0436cfd0e52ac8c066000264b3ce63331ac66dca625","size":1471},"layers":[]}';
const DIGEST = `sha256:${createHash("sha256").update(MANIFEST).digest("hex")}`;
const ACCOUNT = "123456789012";
const CALLER = "arn:aws:sts::123456789012:assumed-role/SecurityReviewer/alice";
const TOPIC = "arn:aws:sns:eu-west-1:123456789012:registry-guard-alerts";
const image: ImageRef = {
  registry: "ecr",
  registryId: ACCOUNT,
  region: "eu-west-1",
  repository: "team-a/api",
  digest: DIGEST,
  tags: [],
};
const KEY = imageKey(image);

const ecr = mockClient(ECRClient);
const sns = mockClient(SNSClient);
const sts = mockClient(STSClient);

let dynamo: DynaliteHandle;
let client: ReturnType<typeof documentClient>;
let table: string;

beforeAll(async () => {
  // The CLI's DynamoDB client signs its requests to dynalite with these.
  vi.stubEnv("AWS_ACCESS_KEY_ID", "test");
  vi.stubEnv("AWS_SECRET_ACCESS_KEY", "test");
  dynamo = await startDynalite();
  client = documentClient(dynamo.endpoint);
});

afterAll(async () => {
  client?.destroy();
  await dynamo?.stop();
  for (const m of [ecr, sns, sts]) m.restore();
  vi.unstubAllEnvs();
});

beforeEach(async () => {
  for (const m of [ecr, sns, sts]) m.reset();
  table = `audit-${randomUUID()}`;
  await createAuditTable(client, table);
  sts
    .on(GetCallerIdentityCommand)
    .resolves({ Account: ACCOUNT, Arn: CALLER, UserId: "AROA:alice" });
  sns.on(PublishCommand).resolves({ MessageId: "sns-message-1" });
});

function ecrImage(status: "ARCHIVED" | "ACTIVE") {
  ecr.on(DescribeImagesCommand).resolves({
    imageDetails: [
      {
        registryId: ACCOUNT,
        repositoryName: "team-a/api",
        imageDigest: DIGEST,
        imageTags: ["v1"],
        imageStatus: status,
      },
    ],
  });
  ecr.on(BatchGetImageCommand).resolves(
    status === "ARCHIVED"
      ? {
          images: [],
          failures: [
            {
              imageId: { imageDigest: DIGEST },
              failureCode: "ImageNotFound",
              failureReason: "Requested image not found",
            },
          ],
        }
      : { images: [{ imageId: { imageDigest: DIGEST }, imageManifest: MANIFEST }], failures: [] },
  );
  ecr.on(UpdateImageStorageClassCommand).resolves({ imageStatus: "ACTIVATING" });
}

function tempPolicy(retentionDays: number): string {
  const path = join(mkdtempSync(join(tmpdir(), "rg-cli-release-")), "registry-guard.yaml");
  writeFileSync(path, `version: 1\ndefaults:\n  audit:\n    retentionDays: ${retentionDays}\n`);
  return path;
}

const where = () => [
  "--table",
  table,
  "--topic-arn",
  TOPIC,
  "--endpoint-dynamodb",
  dynamo.endpoint,
];

function store(): DynamoDbAuditLog {
  return new DynamoDbAuditLog({
    client,
    tableName: table,
    clock: () => new Date(),
    retentionDays: 1,
  });
}

describe("release against a quarantined image", () => {
  it("restores it, records principal and reason in the audit trail, and alerts", async () => {
    ecrImage("ARCHIVED");
    const reason = "false positive: the parser is never reached (SEC-123)";
    const r = await runCaptured([
      ...["release", `team-a/api@${DIGEST}`, "--region", "eu-west-1", "--reason", reason],
      ...["--policy", tempPolicy(30), "--json", ...where()],
    ]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);

    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({
      schemaVersion: 1,
      image: KEY,
      registryId: ACCOUNT,
      region: "eu-west-1",
      repository: "team-a/api",
      digest: DIGEST,
      wasQuarantined: true,
      principal: CALLER,
      reason,
    });
    expect(out.eventId).toMatch(/^release:/);
    expect(out.steps.map((s: { action: string }) => s.action)).toEqual(["released", "alert-sent"]);

    // ECR was asked to restore exactly this image, in the account STS named.
    const restore = ecr.commandCalls(UpdateImageStorageClassCommand);
    expect(restore).toHaveLength(1);
    expect(restore[0]?.args[0].input).toEqual({
      registryId: ACCOUNT,
      repositoryName: "team-a/api",
      imageId: { imageDigest: DIGEST },
      targetStorageClass: "STANDARD",
    });

    const publish = sns.commandCalls(PublishCommand);
    expect(publish).toHaveLength(1);
    const input = publish[0]?.args[0].input;
    expect(input?.TopicArn).toBe(TOPIC);
    expect(input?.MessageAttributes?.eventType?.StringValue).toBe("image.released");
    expect(JSON.parse(JSON.parse(input?.Message ?? "{}").sqs ?? "{}")).toMatchObject({
      principal: CALLER,
      reason,
    });

    const records = await store().byImage(KEY);
    expect(records.map((x) => x.action)).toEqual(["released", "alert-sent"]);
    const released = records[0];
    expect(released).toMatchObject({
      principal: CALLER,
      reasons: [reason],
      eventType: "release",
      eventId: out.eventId,
      detail: { wasQuarantined: true },
    });
    // The deployed policy's retention, as the Lambdas write it.
    const recordedAt = Math.floor(Date.parse(released?.recordedAt ?? "") / 1000);
    expect(released?.expiresAt).toBe(recordedAt + 30 * 86_400);
    expect(records[1]?.detail).toMatchObject({ messageId: "sns-message-1" });

    // And the trail it wrote verifies.
    const verify = await runCaptured([
      ...["audit", "verify", "--image", KEY, "--table", table],
      ...["--endpoint-dynamodb", dynamo.endpoint],
    ]);
    expect(verify.code).toBe(0);
  });

  it("runs the exact command the quarantine alert prints", async () => {
    ecrImage("ARCHIVED");
    const printed = releaseCommand(image).replace('"<why it is safe>"', "reviewed-SEC-9");
    const argv = printed.split(" ").slice(1);
    const r = await runCaptured([...argv, "--principal", "bob@example.com", ...where()]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`RELEASED  team-a/api@${DIGEST}`);
    expect(r.stdout).toContain("by bob@example.com");
    // Registry id and principal were given: no need to ask STS.
    expect(sts.calls()).toHaveLength(0);
    expect(ecr.commandCalls(UpdateImageStorageClassCommand)[0]?.args[0].input).toMatchObject({
      registryId: ACCOUNT,
      repositoryName: "team-a/api",
      imageId: { imageDigest: DIGEST },
    });
    const [released] = await store().byImage(KEY);
    expect(released?.principal).toBe("bob@example.com");
    expect(released?.reasons).toEqual(["reviewed-SEC-9"]);
  });
});

describe("release of an image that is not quarantined", () => {
  it("changes nothing in ECR but still records and alerts the request", async () => {
    ecrImage("ACTIVE");
    const r = await runCaptured([
      ...["release", `ecr:${ACCOUNT}/team-a/api@${DIGEST}`, "--region", "eu-west-1"],
      ...["--reason", "double-check", "--json", ...where()],
    ]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).wasQuarantined).toBe(false);
    expect(ecr.commandCalls(UpdateImageStorageClassCommand)).toHaveLength(0);
    expect(sns.commandCalls(PublishCommand)).toHaveLength(1);
    const records = await store().byImage(KEY);
    expect(records[0]).toMatchObject({ action: "released", detail: { wasQuarantined: false } });
  });
});

describe("release when the audit table is missing", () => {
  it("exits 3 naming the table, before the image is restored", async () => {
    ecrImage("ARCHIVED");
    const r = await runCaptured([
      ...["release", `team-a/api@${DIGEST}`, "--region", "eu-west-1", "--reason", "reviewed"],
      ...["--table", "no-such-table", "--topic-arn", TOPIC, "--endpoint-dynamodb", dynamo.endpoint],
    ]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('Audit table "no-such-table"');
    expect(r.stderr).toContain("check that the table");
    expect(ecr.commandCalls(UpdateImageStorageClassCommand)).toHaveLength(0);
    expect(sns.calls()).toHaveLength(0);
  });
});
