import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { runCaptured } from "../../cli/run-captured.ts";
import { DynamoDbAuditLog } from "../../shared/adapters/dynamodb/dynamodb-audit-log.ts";
import { OciRegistry } from "../../shared/adapters/oci/oci-registry.ts";
import { TRIVY_REPORT_MEDIA_TYPE } from "../../shared/adapters/oci/oci-scan-report.ts";
import { releaseCommand } from "../../shared/domain/alert-text.ts";
import { type ImageRef, imageKey } from "../../shared/domain/image.ts";
import {
  createAuditTable,
  type DynaliteHandle,
  documentClient,
  startDynalite,
} from "../support/dynalite.ts";
import { type LocalRegistry, startLocalRegistry } from "../support/local-registry.ts";
import {
  attachArtifact,
  OCI_INDEX,
  type PushedImage,
  type PushTarget,
  pullStatus,
  pushImage,
  registryRequest,
  sha256,
} from "../support/oci-push.ts";

// The CLI against the real CNCF distribution registry and the real DynamoDB API (dynalite).
// Nothing is mocked: the registry is reached over loopback http, alerts go to stderr.

let reg: LocalRegistry;
let target: PushTarget;
let dynamo: DynaliteHandle;
let client: ReturnType<typeof documentClient>;
let table: string;

beforeAll(async () => {
  // The CLI's DynamoDB client signs its requests to dynalite with these.
  vi.stubEnv("AWS_ACCESS_KEY_ID", "test");
  vi.stubEnv("AWS_SECRET_ACCESS_KEY", "test");
  [reg, dynamo] = await Promise.all([startLocalRegistry(), startDynalite()]);
  target = { url: reg.url };
  client = documentClient(dynamo.endpoint);
});

afterAll(async () => {
  client?.destroy();
  await Promise.all([dynamo?.stop(), reg?.stop()]);
  vi.unstubAllEnvs();
});

beforeEach(async () => {
  table = `audit-${randomUUID()}`;
  await createAuditTable(client, table);
});

function tempFile(name: string, content: string): string {
  const path = join(mkdtempSync(join(tmpdir(), "rg-cli-oci-")), name);
  writeFileSync(path, content);
  return path;
}

const policy = (retentionDays = 30) =>
  tempFile(
    "registry-guard.yaml",
    `version: 1\ndefaults:\n  audit:\n    retentionDays: ${retentionDays}\n`,
  );
const QUARANTINE_POLICY = "test/fixtures/policies/quarantine.yaml";
const where = () => ["--table", table, "--endpoint-dynamodb", dynamo.endpoint];

function refOf(
  img: Pick<PushedImage, "repository" | "digest" | "tags">,
  host = reg.host,
): ImageRef {
  return {
    registry: "oci",
    registryId: host,
    repository: img.repository,
    digest: img.digest,
    tags: img.tags,
  };
}

function store(): DynamoDbAuditLog {
  return new DynamoDbAuditLog({
    client,
    tableName: table,
    clock: () => new Date(),
    retentionDays: 1,
  });
}

/** Every reference a pull could use, and what the registry answers. */
async function pulls(t: PushTarget, img: PushedImage, repository = img.repository) {
  const refs = [img.digest, ...img.tags];
  return Object.fromEntries(
    await Promise.all(refs.map(async (r) => [r, await pullStatus(t, repository, r)] as const)),
  );
}
const all = (img: PushedImage, status: number) =>
  Object.fromEntries([img.digest, ...img.tags].map((r) => [r, status]));

async function quarantined(
  t: PushTarget,
  img: PushedImage,
  opts: ConstructorParameters<typeof OciRegistry>[0],
) {
  const registry = new OciRegistry(opts);
  try {
    expect(await registry.quarantine(refOf(img, registry.registryId))).toEqual({
      alreadyQuarantined: false,
    });
  } finally {
    registry.close();
  }
  expect(await pulls(t, img)).toEqual(all(img, 404));
}

describe("release --registry <url> on the real registry", () => {
  it("moves an image quarantined by OciRegistry back; the trail names who and why", async () => {
    const img = await pushImage(target, "team/api", { tags: ["v1", "latest"] });
    await quarantined(target, img, { url: reg.url });

    const reason = "false positive: the parser is never reached (SEC-123)";
    const r = await runCaptured([
      ...["release", `team/api@${img.digest}`, "--registry", reg.url, "--reason", reason],
      ...["--policy", policy(30), "--json", ...where()],
    ]);
    expect(r.code, r.stderr).toBe(0);

    const out = JSON.parse(r.stdout);
    const key = imageKey(refOf(img));
    const principal = `local:${userInfo().username}`;
    expect(out).toMatchObject({
      schemaVersion: 1,
      image: key,
      registry: "oci",
      registryId: reg.host,
      region: null,
      repository: "team/api",
      digest: img.digest,
      wasQuarantined: true,
      principal,
      reason,
    });
    expect(out.steps.map((s: { action: string }) => s.action)).toEqual(["released", "alert-sent"]);

    // Pullable again, by digest and by every tag it had; nothing left in quarantine.
    expect(await pulls(target, img)).toEqual(all(img, 200));
    expect(await pullStatus(target, "quarantine/team/api", img.digest)).toBe(404);

    // No SNS topic: the alert went to stderr, and was recorded as sent.
    expect(r.stderr).toContain("[registry-guard] ");
    expect(r.stderr).toContain(`Released by ${principal}`);
    const records = await store().byImage(key);
    expect(records.map((x) => x.action)).toEqual(["released", "alert-sent"]);
    expect(records[0]).toMatchObject({
      principal,
      reasons: [reason],
      eventType: "release",
      eventId: out.eventId,
      detail: { wasQuarantined: true },
    });
    const recordedAt = Math.floor(Date.parse(records[0]?.recordedAt ?? "") / 1000);
    expect(records[0]?.expiresAt).toBe(recordedAt + 30 * 86_400);
    expect(records[1]?.detail).toMatchObject({ messageId: "console-1" });

    const verify = await runCaptured(["audit", "verify", "--image", key, ...where()]);
    expect(verify.code).toBe(0);
  });

  it("runs the exact command the quarantine alert prints", async () => {
    const img = await pushImage(target, "team/web", { tags: ["prod"] });
    await quarantined(target, img, { url: reg.url });

    const printed = releaseCommand(refOf(img)).replace('"<why it is safe>"', "reviewed-SEC-9");
    expect(printed).toContain(`--registry ${reg.url}`);
    const argv = printed.split(" ").slice(1);
    const r = await runCaptured([
      ...argv,
      "--principal",
      "bob@example.com",
      "--policy",
      policy(),
      ...where(),
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`RELEASED  team/web@${img.digest}`);
    expect(r.stdout).toContain("moved back from quarantine/team/web");
    expect(r.stdout).toContain("by bob@example.com");
    expect(await pulls(target, img)).toEqual(all(img, 200));
    const [released] = await store().byImage(imageKey(refOf(img)));
    expect(released?.principal).toBe("bob@example.com");
    expect(released?.reasons).toEqual(["reviewed-SEC-9"]);
  });

  it("a second release finds nothing to move, and says so", async () => {
    const img = await pushImage(target, "team/twice", { tags: ["v1"] });
    await quarantined(target, img, { url: reg.url });
    const args = [
      `oci:${reg.host}/team/twice@${img.digest}`,
      "--registry",
      reg.url,
      "--reason",
      "reviewed",
    ];
    expect((await runCaptured(["release", ...args, "--policy", policy(), ...where()])).code).toBe(
      0,
    );
    const again = await runCaptured([
      "release",
      ...args,
      "--policy",
      policy(),
      "--json",
      ...where(),
    ]);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout).wasQuarantined).toBe(false);
    expect(await pulls(target, img)).toEqual(all(img, 200));
  });

  it("an image in neither repository exits 2 and writes nothing", async () => {
    const img = await pushImage(target, "team/gone");
    const digest = `sha256:${"0".repeat(64)}`;
    const r = await runCaptured([
      ...["release", `team/gone@${digest}`, "--registry", reg.url, "--reason", "reviewed"],
      ...["--policy", policy(), ...where()],
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`no image team/gone@${digest} in the registry`);
    expect(await store().byImage(imageKey({ ...refOf(img), digest }))).toEqual([]);
  });
});

describe("release with registry credentials", () => {
  let secured: LocalRegistry;
  beforeAll(async () => {
    secured = await startLocalRegistry({ auth: "basic" });
  });
  afterAll(async () => {
    await secured?.stop();
  });

  it("takes the password from stdin, and never prints it, right or wrong", async () => {
    const creds = secured.credentials as { username: string; password: string };
    const t: PushTarget = { url: secured.url, credentials: creds };
    const img = await pushImage(t, "team/private", { tags: ["v1"] });
    await quarantined(t, img, { url: secured.url, credentials: creds });
    const args = [
      ...["release", `team/private@${img.digest}`, "--registry", secured.url],
      ...["--registry-username", creds.username, "--registry-password-stdin"],
      ...["--reason", "reviewed", "--policy", policy(), ...where()],
    ];
    const basic = (p: string) => Buffer.from(`${creds.username}:${p}`).toString("base64");

    const wrong = `${creds.password}-wrong`;
    const refused = await runCaptured(args, {}, `${wrong}\n`);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain("OCI ");
    for (const text of [refused.stdout, refused.stderr]) {
      expect(text).not.toContain(wrong);
      expect(text).not.toContain(basic(wrong));
    }
    // Still quarantined, and nothing recorded.
    expect(await pulls(t, img)).toEqual(all(img, 404));
    expect(await store().byImage(imageKey(refOf(img, secured.host)))).toEqual([]);

    const r = await runCaptured(args, {}, `${creds.password}\n`);
    expect(r.code, r.stderr).toBe(0);
    for (const text of [r.stdout, r.stderr]) {
      expect(text).not.toContain(creds.password);
      expect(text).not.toContain(basic(creds.password));
    }
    expect(await pulls(t, img)).toEqual(all(img, 200));
  });
});

/** A CNCF distribution notification for a manifest push, as the registry sends it. */
function pushNotification(img: PushedImage, tag: string): string {
  const sample = JSON.parse(
    readFileSync("test/fixtures/webhooks/distribution/manifest-push-tagged.json", "utf8"),
  );
  const event = sample.events[0];
  event.id = randomUUID();
  event.timestamp = new Date().toISOString();
  event.target = {
    ...event.target,
    mediaType: img.mediaType,
    digest: img.digest,
    size: img.size,
    length: img.size,
    repository: img.repository,
    url: `${reg.url}/v2/${img.repository}/manifests/${img.digest}`,
    tag,
  };
  event.request.host = reg.host;
  return tempFile("notification.json", JSON.stringify(sample));
}

/** An image with a Trivy report attached (CRITICAL and HIGH findings): it fails blockAt HIGH. */
async function scannedImage(repository: string): Promise<PushedImage> {
  const img = await pushImage(target, repository, { tags: ["1.0"] });
  await attachArtifact(target, repository, img, {
    artifactType: TRIVY_REPORT_MEDIA_TYPE,
    layers: [
      {
        mediaType: TRIVY_REPORT_MEDIA_TYPE,
        bytes: readFileSync("test/fixtures/findings/trivy.json"),
      },
    ],
  });
  return img;
}

describe("replay --registry <url> of a distribution notification", () => {
  it("--dry-run --decide prints the verdict and the plan, and changes nothing", async () => {
    const img = await scannedImage("prod/api");
    const event = pushNotification(img, "1.0");
    const key = imageKey(refOf(img));
    const args = [
      ...["replay", "--event", event, "--registry", reg.url, "--dry-run", "--decide"],
      ...["--policy", QUARANTINE_POLICY, ...where()],
    ];

    const r = await runCaptured([...args, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json).toMatchObject({ schemaVersion: 1, dryRun: true, simulated: false });
    expect(json.outcomes.map((o: { kind: string; status: string }) => [o.kind, o.status])).toEqual([
      ["image-pushed", "recorded"],
      ["scan-timeout-check", "decided"],
    ]);
    expect(json.outcome).toMatchObject({ image: key, verdict: "fail" });
    expect(json.outcome.gate.reasons.map((x: { rule: string }) => x.rule)).toContain("blockAt");
    expect(json.planned.map((p: { effect: string }) => p.effect)).toEqual(["quarantine", "alert"]);
    expect(json.planned[0].image).toMatchObject({
      repository: "prod/api",
      digest: img.digest,
      tags: ["1.0"],
    });

    const text = await runCaptured(args);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain("DRY RUN, nothing written");
    expect(text.stdout).toContain("FAIL  prod/api");
    expect(text.stdout).toContain(`would quarantine: prod/api@${img.digest}`);

    // The registry is unchanged and the trail (read for history) was not written.
    expect(await pulls(target, img)).toEqual(all(img, 200));
    expect(await pullStatus(target, "quarantine/prod/api", img.digest)).toBe(404);
    expect(await store().byImage(key)).toEqual([]);
  });

  it("--dry-run on the push that attaches a scan report prints the image's verdict", async () => {
    const img = await scannedImage("prod/report");
    // A client on a registry without the referrers API attaches a report by pushing the image
    // index tagged sha256-<hex> that lists it: the push the registry notifies.
    const tag = img.digest.replace(":", "-");
    const res = await registryRequest(target, "GET", `/v2/prod/report/manifests/${tag}`, {
      headers: { accept: OCI_INDEX },
    });
    const index: PushedImage = {
      ...img,
      digest: sha256(res.body),
      mediaType: OCI_INDEX,
      size: res.body.length,
      tags: [tag],
    };
    const r = await runCaptured([
      ...["replay", "--event", pushNotification(index, tag), "--registry", reg.url],
      ...["--dry-run", "--policy", QUARANTINE_POLICY, "--json", ...where()],
    ]);
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.outcomes).toHaveLength(1);
    expect(json.outcome).toMatchObject({ image: imageKey(refOf(img)), verdict: "fail" });
    expect(json.planned.map((p: { effect: string }) => p.effect)).toEqual(["quarantine", "alert"]);
    expect(await pulls(target, img)).toEqual(all(img, 200));
    expect(await store().byImage(imageKey(refOf(img)))).toEqual([]);
  });

  it("without --decide, a push is only recorded, as the pipeline does", async () => {
    const img = await scannedImage("prod/plain");
    const r = await runCaptured([
      ...["replay", "--event", pushNotification(img, "1.0"), "--registry", reg.url],
      ...["--dry-run", "--policy", QUARANTINE_POLICY, "--json"],
    ]);
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.outcomes).toHaveLength(1);
    expect(json.outcome).toMatchObject({
      kind: "image-pushed",
      status: "recorded",
      image: imageKey(refOf(img)),
    });
    expect(json.outcome.verdict).toBeUndefined();
    expect(json.planned).toEqual([]);
    expect(await pulls(target, img)).toEqual(all(img, 200));
  });

  it("applied, it quarantines for real; the alert's release command brings the image back", async () => {
    const img = await scannedImage("prod/web");
    const key = imageKey(refOf(img));
    const r = await runCaptured([
      ...["replay", "--event", pushNotification(img, "1.0"), "--registry", reg.url, "--decide"],
      ...["--policy", QUARANTINE_POLICY, ...where()],
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("applied");
    expect(await pulls(target, img)).toEqual(all(img, 404));
    expect(await pullStatus(target, "quarantine/prod/web", img.digest)).toBe(200);
    const actions = (await store().byImage(key)).map((x) => x.action);
    expect(actions).toEqual(["event-received", "gate-evaluated", "quarantined", "alert-sent"]);

    // The alert went to stderr; its "release this image" line is a working command.
    const line = r.stderr.split("\n").find((l) => l.trim().startsWith("registry-guard release "));
    expect(line).toBeDefined();
    const argv = (line as string)
      .trim()
      .replace('"<why it is safe>"', "fixed-in-SEC-7")
      .split(" ")
      .slice(1);
    const released = await runCaptured([...argv, "--policy", QUARANTINE_POLICY, ...where()]);
    expect(released.code, released.stderr).toBe(0);
    expect(await pulls(target, img)).toEqual(all(img, 200));
    expect((await store().byImage(key)).map((x) => x.action).slice(-2)).toEqual([
      "released",
      "alert-sent",
    ]);
    expect((await runCaptured(["audit", "verify", "--image", key, ...where()])).code).toBe(0);
  });
});
