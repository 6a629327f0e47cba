import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { ECRClient } from "@aws-sdk/client-ecr";
import { SNSClient } from "@aws-sdk/client-sns";
import { STSClient } from "@aws-sdk/client-sts";
import { DynamoDBDocumentClient, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { runCaptured } from "../../cli/run-captured.ts";

// A stand-in registry on loopback that counts requests: bad input must reach neither it nor AWS.
// It refuses every request as a registry with Basic auth would, echoing the Authorization header
// in its error body, as a careless proxy might: the CLI must not pass that on.
const DIGEST = `sha256:${"5e".repeat(32)}`;
const PASSWORD = "Tr0ub4dor&3-not-for-output";
const BASIC = Buffer.from(`guard:${PASSWORD}`).toString("base64");
const ENV = {
  REGISTRY_GUARD_TABLE: "registry-guard-audit",
  REGISTRY_GUARD_REGISTRY_PASSWORD: PASSWORD,
  AWS_REGION: "eu-west-1",
};

const ecr = mockClient(ECRClient);
const sns = mockClient(SNSClient);
const sts = mockClient(STSClient);
const dynamo = mockClient(DynamoDBClient);
const doc = mockClient(DynamoDBDocumentClient);
const aws = [ecr, sns, sts, dynamo, doc];

let server: Server;
let url: string;
let host: string;
const seen: IncomingHttpHeaders[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(req.headers);
    req.resume();
    res.writeHead(401, {
      "content-type": "application/json",
      "www-authenticate": 'Basic realm="test"',
    });
    res.end(
      JSON.stringify({
        errors: [
          { code: "UNAUTHORIZED", message: `bad credentials: ${req.headers.authorization ?? ""}` },
        ],
      }),
    );
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const { port } = server.address() as AddressInfo;
  host = `127.0.0.1:${port}`;
  url = `http://${host}`;
});

afterAll(async () => {
  for (const m of aws) m.restore();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

beforeEach(() => {
  for (const m of aws) m.reset();
  seen.length = 0;
});

function nothingSent() {
  expect(seen).toHaveLength(0);
  for (const m of aws) expect(m.calls()).toHaveLength(0);
}

function noSecret(r: { stdout: string; stderr: string }) {
  for (const text of [r.stdout, r.stderr]) {
    expect(text).not.toContain(PASSWORD);
    expect(text).not.toContain(BASIC);
  }
}

function tempFile(name: string, content: string): string {
  const path = join(mkdtempSync(join(tmpdir(), "rg-cli-oci-")), name);
  writeFileSync(path, content);
  return path;
}

const image = () => `team/api@${DIGEST}`;
const release = (args: string[], env: NodeJS.ProcessEnv = ENV, stdin = "") =>
  runCaptured(["release", ...args], env, stdin);
const valid = () => [
  ...[image(), "--registry", url, "--registry-username", "guard"],
  ...["--reason", "reviewed: SEC-1"],
];

describe("release on an OCI registry: bad input exits 2, sends nothing, never shows the password", () => {
  it.each<[string, () => string[], string]>([
    [
      "plain http to another machine",
      () => [image(), "--registry", "http://registry.internal:5000", "--reason", "reviewed"],
      "plain http:// is only used for a registry on this machine",
    ],
    [
      "a registry URL with a path",
      () => [image(), "--registry", `${url}/v2/`, "--reason", "reviewed"],
      "without a path",
    ],
    [
      "a registry that is neither ecr nor a URL",
      () => [image(), "--registry", "harbor", "--reason", "reviewed"],
      "expected ecr, or an OCI registry URL",
    ],
    [
      "credentials in the registry URL",
      () => [image(), "--registry", `http://guard:${PASSWORD}@${host}`, "--reason", "reviewed"],
      "put no credentials in the URL",
    ],
    ["the password as a flag", () => [...valid(), "--registry-password", PASSWORD], "not accepted"],
    [
      "the password as --flag=value",
      () => [...valid(), `--registry-password=${PASSWORD}`],
      "not accepted",
    ],
    [
      "a mistyped password flag",
      () => [...valid(), `--registry-pasword=${PASSWORD}`],
      "unknown option '--registry-pasword=…'",
    ],
    [
      "an image of another registry",
      () => [
        `oci:registry.example.com/team/api@${DIGEST}`,
        ...["--registry", url, "--registry-username", "guard"],
        "--reason",
        "ok then",
      ],
      "names registry registry.example.com",
    ],
    [
      "an ECR image",
      () => [
        `ecr:123456789012/team/api@${DIGEST}`,
        "--registry",
        url,
        "--registry-username",
        "guard",
        "--reason",
        "ok then",
      ],
      "Amazon ECR image",
    ],
    [
      "a tag",
      () => [
        "team/api:1.0",
        "--registry",
        url,
        "--registry-username",
        "guard",
        "--reason",
        "ok then",
      ],
      "by digest",
    ],
    ["--registry-id", () => [...valid(), "--registry-id", "123456789012"], "ECR account id"],
    [
      "a CA for plain http",
      () => [...valid(), "--registry-ca", tempFile("ca.pem", "-----BEGIN CERTIFICATE-----\n")],
      "--registry-ca is for an https:// registry",
    ],
    [
      "a file that is not a CA",
      () => [
        image(),
        ...["--registry", "https://registry.example.com", "--reason", "ok then"],
        ...["--registry-ca", tempFile("ca.pem", "hello")],
      ],
      "no PEM certificate",
    ],
    [
      "a bad quarantine template",
      () => [...valid(), "--quarantine-repository", "quarantine"],
      "must contain {repository} exactly once",
    ],
    [
      "a blank reason",
      () => [image(), "--registry", url, "--registry-username", "guard", "--reason", " x "],
      "--reason",
    ],
    ["an empty --principal", () => [...valid(), "--principal", "  "], "--principal is empty"],
    ["a bad --topic-arn", () => [...valid(), "--topic-arn", "alerts"], "SNS topic ARN"],
    ["a missing --policy", () => [...valid(), "--policy", "no/such.yaml"], "no such file"],
  ])("%s", async (_what, args, message) => {
    const r = await release(args());
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(message);
    noSecret(r);
    nothingSent();
  });

  it("a user without a password, or a password without a user", async () => {
    const noPassword = await release(valid(), { REGISTRY_GUARD_TABLE: "registry-guard-audit" });
    expect(noPassword.code).toBe(2);
    expect(noPassword.stderr).toContain("--registry-username guard needs a password");
    const noUser = await release([image(), "--registry", url, "--reason", "reviewed"]);
    expect(noUser.code).toBe(2);
    expect(noUser.stderr).toContain("no --registry-username");
    noSecret(noUser);
    nothingSent();
  });

  it("no audit table", async () => {
    const r = await release(valid(), { REGISTRY_GUARD_REGISTRY_PASSWORD: PASSWORD });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("no audit table");
    nothingSent();
  });

  it("an empty stdin for --registry-password-stdin", async () => {
    const r = await release(
      [...valid(), "--registry-password-stdin"],
      { REGISTRY_GUARD_TABLE: "registry-guard-audit" },
      "",
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("standard input was empty");
    nothingSent();
  });
});

describe("release on an OCI registry once the input is valid", () => {
  it.each([
    ["from the environment", [] as string[], ""],
    ["from stdin", ["--registry-password-stdin"], `${PASSWORD}\n`],
  ])(
    "a refused password (%s) exits 3 with the registry's answer, scrubbed",
    async (_how, extra, stdin) => {
      doc.on(QueryCommand).resolves({ Items: [] });
      const r = await release(
        [...valid(), ...extra],
        stdin ? { REGISTRY_GUARD_TABLE: "registry-guard-audit", AWS_REGION: "eu-west-1" } : ENV,
        stdin,
      );
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(
        /OCI GetManifest failed for team\/api@sha256:\w+ \(registry 127\.0\.0\.1:\d+\)/,
      );
      expect(r.stdout).toBe("");
      // The registry was asked with exactly these credentials, and they went nowhere else.
      expect(seen.some((h) => h.authorization === `Basic ${BASIC}`)).toBe(true);
      noSecret(r);
      // No AWS identity is needed on an OCI registry; the trail was only read.
      expect(sts.calls()).toHaveLength(0);
      expect(ecr.calls()).toHaveLength(0);
      expect(doc.calls().map((c) => c.args[0].constructor.name)).toEqual(["QueryCommand"]);
    },
  );
});

const EVENT = () =>
  tempFile(
    "notification.json",
    JSON.stringify({
      events: [
        {
          id: "5f3c4f8e-0d1a-4c1e-9b57-1d2e3f4a5b6c",
          timestamp: "2026-06-15T09:00:00.123456789Z",
          action: "push",
          target: {
            mediaType: "application/vnd.oci.image.manifest.v1+json",
            digest: DIGEST,
            repository: "team/api",
            tag: "v1",
          },
          actor: { name: "ci-bot" },
        },
      ],
    }),
  );
const FINDINGS = "examples/findings/ecr-enhanced-fail.json";
const POLICY = "examples/registry-guard.yaml";

describe("replay on an OCI registry", () => {
  it.each<[string, () => string[], string]>([
    [
      "a webhook body without --registry",
      () => ["--event", EVENT(), "--dry-run"],
      "pass --registry with the URL of the registry that sent it",
    ],
    [
      "an EventBridge event with an OCI --registry",
      () => ["--event", "examples/events/ecr-image-push.json", "--registry", url, "--dry-run"],
      "leave --registry out for ECR events",
    ],
    [
      "a file that is no event at all",
      () => ["--event", FINDINGS, "--registry", url, "--dry-run"],
      "neither a distribution notification",
    ],
    [
      "plain http to another machine",
      () => ["--event", EVENT(), "--registry", "http://10.1.2.3:5000", "--dry-run"],
      "only used for a registry on this machine",
    ],
    [
      "the password as a flag",
      () => ["--event", EVENT(), "--registry", url, "--registry-password", PASSWORD],
      "not accepted",
    ],
    [
      "a malformed notification",
      () => [
        "--event",
        tempFile(
          "bad.json",
          JSON.stringify({
            events: [
              {
                id: "7d1e",
                timestamp: "2026-06-15T09:00:00Z",
                action: "push",
                target: {
                  mediaType: "application/vnd.oci.image.manifest.v1+json",
                  digest: "sha256:abc",
                  repository: "team/api",
                },
              },
            ],
          }),
        ),

        ...["--registry", url, "--dry-run"],
      ],
      "events[0].target.digest",
    ],
  ])("%s: exit 2, nothing sent", async (_what, args, message) => {
    const r = await runCaptured(["replay", "--policy", POLICY, ...args()], {
      REGISTRY_GUARD_TABLE: "registry-guard-audit",
    });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(message);
    noSecret(r);
    nothingSent();
  });

  it("replays a distribution notification offline (--findings): the push is recorded, no verdict", async () => {
    const r = await runCaptured([
      ...["replay", "--event", EVENT(), "--registry", url, "--findings", FINDINGS],
      ...["--policy", POLICY, "--now", "2026-06-15T09:05:00Z", "--json"],
    ]);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json).toMatchObject({ dryRun: true, simulated: true });
    expect(json.outcome).toMatchObject({
      eventId: "5f3c4f8e-0d1a-4c1e-9b57-1d2e3f4a5b6c",
      kind: "image-pushed",
      image: `oci:${host}/team/api@${DIGEST}`,
      status: "recorded",
    });
    expect(json.outcome.verdict).toBeUndefined();
    expect(json.planned).toEqual([]);
    nothingSent();
  });

  it("replays a Harbor scan webhook: the gate decides the image it names", async () => {
    const r = await runCaptured([
      ...["replay", "--event", "test/fixtures/webhooks/harbor/default/scanning-completed.json"],
      ...["--registry", url, "--findings", FINDINGS, "--policy", POLICY, "--json"],
    ]);
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.outcomes).toHaveLength(1);
    expect(json.outcome).toMatchObject({
      kind: "scan-completed",
      status: "decided",
      verdict: "fail",
      image: `oci:${host}/harbor/alpine@sha256:954b378c375d852eb3c63ab88978f640b4348b01c1b3456a024a81536dafbbf4`,
    });
    nothingSent();
  });

  it("--decide judges the pushed image as the scan-timeout sweep would", async () => {
    const r = await runCaptured([
      ...["replay", "--event", EVENT(), "--registry", url, "--findings", FINDINGS, "--decide"],
      ...["--policy", POLICY, "--now", "2026-06-15T09:05:00Z", "--json"],
    ]);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.outcomes.map((o: { kind: string }) => o.kind)).toEqual([
      "image-pushed",
      "scan-timeout-check",
    ]);
    expect(json.outcome).toEqual(json.outcomes[1]);
    expect(json.outcome).toMatchObject({
      eventId: `scan-timeout:oci:${host}/team/api@${DIGEST}`,
      verdict: "fail",
      image: `oci:${host}/team/api@${DIGEST}`,
    });
    // The example policy alerts (it does not quarantine team/api).
    expect(json.planned.map((p: { effect: string }) => p.effect)).toEqual(["alert"]);
    nothingSent();

    const text = await runCaptured([
      ...["replay", "--event", EVENT(), "--registry", url, "--findings", FINDINGS, "--decide"],
      ...["--policy", POLICY, "--now", "2026-06-15T09:05:00Z"],
    ]);
    expect(text.stdout).toContain("DRY RUN, nothing written");
    expect(text.stdout).toContain("FAIL  team/api");
    expect(text.stdout).toContain("would alert:");
  });
});
