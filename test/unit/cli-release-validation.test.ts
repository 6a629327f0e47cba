import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DescribeImagesCommand, ECRClient } from "@aws-sdk/client-ecr";
import { SNSClient } from "@aws-sdk/client-sns";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { DynamoDBDocumentClient, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { runCaptured } from "../../cli/run-captured.ts";

const DIGEST = `sha256:${"4d".repeat(32)}`;
const TOPIC = "arn:aws:sns:eu-west-1:123456789012:registry-guard-alerts";
const ENV = { REGISTRY_GUARD_TABLE: "registry-guard-audit", REGISTRY_GUARD_TOPIC_ARN: TOPIC };

const ecr = mockClient(ECRClient);
const sns = mockClient(SNSClient);
const sts = mockClient(STSClient);
const dynamo = mockClient(DynamoDBClient);
const doc = mockClient(DynamoDBDocumentClient);
const all = [ecr, sns, sts, dynamo, doc];

beforeEach(() => {
  for (const m of all) m.reset();
});
afterAll(() => {
  for (const m of all) m.restore();
});

function release(args: string[], env: NodeJS.ProcessEnv = ENV) {
  return runCaptured(["release", ...args], env);
}

function expectNoAwsCall() {
  for (const m of all) expect(m.calls()).toHaveLength(0);
}

const good = [`team-a/api@${DIGEST}`, "--region", "eu-west-1", "--reason", "false positive"];

describe("release: bad input exits 2 and calls no AWS API", () => {
  it.each([
    ["a reference without digest", ["team-a/api", "--reason", "ok then"], "by digest"],
    ["a tag", ["team-a/api:1.0", "--reason", "ok then"], "a tag can move"],
    [
      "an upper-case digest",
      [`team-a/api@sha256:${"4D".repeat(32)}`, "--reason", "ok then"],
      "bad digest",
    ],
    ["a short digest", ["team-a/api@sha256:4d4d", "--reason", "ok then"], "bad digest"],
    [
      "a bad repository name",
      [`Team-A/api@${DIGEST}`, "--reason", "ok then"],
      "not an ECR repository name",
    ],
    ["no --reason", [`team-a/api@${DIGEST}`], "required option '--reason <text>'"],
    ["a blank reason", [`team-a/api@${DIGEST}`, "--reason", "  x "], "--reason"],
    ["a bad --registry-id", [...good, "--registry-id", "12345"], "12-digit account id"],
    [
      "a --registry-id that contradicts the key",
      [
        `ecr:123456789012/team-a/api@${DIGEST}`,
        "--registry-id",
        "210987654321",
        "--reason",
        "ok then",
      ],
      "contradicts",
    ],
    [
      "a bad --region",
      [`team-a/api@${DIGEST}`, "--region", "Ireland", "--reason", "ok then"],
      "AWS region",
    ],
    [
      "an OCI image",
      [`oci:registry.local/team-a/api@${DIGEST}`, "--reason", "ok then"],
      "pass --registry with that registry's URL (https://registry.local",
    ],
    [
      "an OCI image named by host:port",
      [`registry.local:5000/team-a/api@${DIGEST}`, "--reason", "ok then"],
      "registry.local:5000 is a registry host",
    ],
    [
      "an OCI-only flag without --registry",
      [...good, "--registry-username", "guard"],
      "--registry-username is for an OCI registry",
    ],
    [
      "an OCI-only flag with --registry ecr",
      [...good, "--registry", "ecr", "--quarantine-repository", "q/{repository}"],
      "--quarantine-repository is for an OCI registry",
    ],
    ["an empty --principal", [...good, "--principal", " "], "--principal is empty"],
    ["a bad --topic-arn", [...good, "--topic-arn", "alerts"], "SNS topic ARN"],
    ["a bad --table", [...good, "--table", "a b"], "DynamoDB table name"],
    [
      "a bad --endpoint-dynamodb",
      [...good, "--endpoint-dynamodb", "localhost:8000"],
      "http(s) URL",
    ],
    ["a --policy that does not exist", [...good, "--policy", "no/such.yaml"], "no such file"],
    ["an unknown option", [...good, "--force"], "unknown option '--force'"],
  ])("%s", async (_what, args, message) => {
    const r = await release(args as string[]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(message);
    expectNoAwsCall();
  });

  it("no audit table", async () => {
    const r = await release(good, { REGISTRY_GUARD_TOPIC_ARN: TOPIC });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("no audit table: pass --table NAME or set REGISTRY_GUARD_TABLE");
    expectNoAwsCall();
  });

  it("no alerts topic", async () => {
    const r = await release(good, { REGISTRY_GUARD_TABLE: "registry-guard-audit" });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("no alerts topic: pass --topic-arn ARN");
    expectNoAwsCall();
  });
});

describe("release: what happens once the input is valid", () => {
  it("asks STS who the caller is, then ECR; an image that does not exist exits 2, unchanged", async () => {
    sts.on(GetCallerIdentityCommand).resolves({
      Account: "123456789012",
      Arn: "arn:aws:iam::123456789012:user/alice",
    });
    ecr.on(DescribeImagesCommand).resolves({ imageDetails: [] });
    doc.on(QueryCommand).resolves({ Items: [] });
    const r = await release(good);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`no image team-a/api@${DIGEST} in the registry`);
    expect(sts.commandCalls(GetCallerIdentityCommand)).toHaveLength(1);
    expect(ecr.commandCalls(DescribeImagesCommand)[0]?.args[0].input).toMatchObject({
      registryId: "123456789012",
      repositoryName: "team-a/api",
      imageIds: [{ imageDigest: DIGEST }],
    });
    // Nothing was changed, recorded or alerted.
    expect(ecr.calls()).toHaveLength(1);
    expect(sns.calls()).toHaveLength(0);
    // The audit table was only read (is it there?), never written.
    expect(doc.calls().map((c) => c.args[0].constructor.name)).toEqual(["QueryCommand"]);
    expect(dynamo.calls()).toHaveLength(0);
  });

  it("exits 3 when STS cannot tell who the caller is, before touching ECR", async () => {
    sts.on(GetCallerIdentityCommand).rejects(
      Object.assign(new Error("The security token included in the request is expired"), {
        name: "ExpiredToken",
      }),
    );
    const r = await release(good);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("could not find out who you are");
    expect(r.stderr).toContain("ExpiredToken");
    expect(ecr.calls()).toHaveLength(0);
    expect(sns.calls()).toHaveLength(0);
  });
});
