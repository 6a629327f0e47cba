import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { runCaptured } from "../../cli/run-captured.ts";
import { DynamoDbAuditLog } from "../../shared/adapters/dynamodb/dynamodb-audit-log.ts";
import { imageKey, repositoryKey } from "../../shared/domain/image.ts";
import type { PlannedArtifact, RetentionPlan } from "../../shared/domain/retention-plan.ts";
import {
  createAuditTable,
  type DynaliteHandle,
  documentClient,
  startDynalite,
} from "../support/dynalite.ts";
import { type LocalRegistry, startLocalRegistry } from "../support/local-registry.ts";
import {
  attachArtifact,
  dsseEnvelope,
  type PushedImage,
  type PushedIndex,
  pullStatus,
  pushCosignAttestations,
  pushImage,
  pushIndex,
} from "../support/oci-push.ts";

// `gc` end to end on the real CNCF distribution registry and the real DynamoDB API (dynalite):
// plan with --dry-run, apply exactly that plan, then find nothing left to do. Nothing is mocked.

const APP = "gc/app";
const TOOL = "misc/tool";
const DAY = 86_400_000;

let reg: LocalRegistry;
let dynamo: DynaliteHandle;
let client: ReturnType<typeof documentClient>;
let table: string;
let dir: string;
let policy: string;

let v0: PushedIndex; // an old multi-platform image: goes, with its children
let v1: PushedImage; // old: goes, with its legacy cosign attestation
let v2: PushedImage; // second newest v*: stays
let v3: PushedImage; // newest v*: stays, with its SBOM
let stable: PushedImage; // kept by the always rule, push time unknown
let dev: PushedImage; // selected by no rule: goes
let tool: PushedImage; // a repository no rule covers: stays
let v1Attestation: string;
let v3Sbom: string;

/** The push time the pipeline records from a push notification (what gc reads on OCI). */
async function recordPush(img: PushedImage, ageDays: number): Promise<void> {
  const store = new DynamoDbAuditLog({
    client,
    tableName: table,
    clock: () => new Date(),
    retentionDays: 30,
  });
  const ref = { registry: "oci" as const, registryId: reg.host, repository: img.repository };
  await store.append({
    imageKey: imageKey({ ...ref, digest: img.digest }),
    repositoryKey: repositoryKey(ref),
    repository: img.repository,
    digest: img.digest,
    tags: img.tags,
    action: "event-received",
    eventId: `push-${img.digest}`,
    eventType: "image-pushed",
    detail: {
      source: "distribution",
      pushedAt: new Date(Date.now() - ageDays * DAY).toISOString(),
    },
  });
}

beforeAll(async () => {
  // The CLI's DynamoDB client signs its requests to dynalite with these.
  vi.stubEnv("AWS_ACCESS_KEY_ID", "test");
  vi.stubEnv("AWS_SECRET_ACCESS_KEY", "test");
  [reg, dynamo] = await Promise.all([startLocalRegistry(), startDynalite()]);
  client = documentClient(dynamo.endpoint);
  table = `audit-${randomUUID()}`;
  await createAuditTable(client, table);
  dir = mkdtempSync(join(tmpdir(), "rg-cli-gc-oci-"));
  policy = join(dir, "registry-guard.yaml");
  writeFileSync(
    policy,
    [
      "version: 1",
      "retention:",
      "  rules:",
      "    - keep: latestPushedK",
      "      count: 2",
      '      tags: { matches: "v*" }',
      '      repositories: { matches: "gc/**" }',
      "    - keep: always",
      '      tags: { matches: "stable" }',
      '      repositories: { matches: "gc/**" }',
      "",
    ].join("\n"),
  );

  v0 = await pushIndex(reg, APP, { tags: ["v0"] });
  v1 = await pushImage(reg, APP, { tags: ["v1"] });
  v2 = await pushImage(reg, APP, { tags: ["v2"] });
  v3 = await pushImage(reg, APP, { tags: ["v3"] });
  stable = await pushImage(reg, APP, { tags: ["stable"] });
  dev = await pushImage(reg, APP, { tags: ["dev-1234"] });
  tool = await pushImage(reg, TOOL, { tags: ["latest"] });
  v1Attestation = await pushCosignAttestations(reg, APP, v1.digest, [
    { predicateType: "https://slsa.dev/provenance/v1", envelope: dsseEnvelope({ _type: "x" }) },
  ]);
  v3Sbom = await attachArtifact(reg, APP, v3, {
    artifactType: "application/spdx+json",
    layers: [
      { mediaType: "application/spdx+json", bytes: Buffer.from('{"spdxVersion":"SPDX-2.3"}') },
    ],
  });
  await recordPush(v0, 40);
  await recordPush(v1, 30);
  await recordPush(v2, 20);
  await recordPush(v3, 10);
  await recordPush(dev, 5);
});

afterAll(async () => {
  client?.destroy();
  await Promise.all([dynamo?.stop(), reg?.stop()]);
  vi.unstubAllEnvs();
});

const where = () => [
  ...["--registry", reg.url, "--policy", policy],
  ...["--table", table, "--endpoint-dynamodb", dynamo.endpoint],
];
const gc = (...args: string[]) => runCaptured(["gc", ...args, ...where()]);

function artifacts(plan: RetentionPlan): (PlannedArtifact & { repository: string })[] {
  return plan.repositories.flatMap((r) =>
    r.artifacts.map((a) => ({ ...a, repository: r.repository })),
  );
}

async function deletedRecords(): Promise<string[]> {
  const store = new DynamoDbAuditLog({
    client,
    tableName: table,
    clock: () => new Date(),
    retentionDays: 30,
  });
  const records = await store.byRepository(
    repositoryKey({ registry: "oci", registryId: reg.host, repository: APP }),
    {},
  );
  return records.filter((r) => r.action === "image-deleted").map((r) => r.digest);
}

describe("gc on a real OCI registry", () => {
  let plan: RetentionPlan;
  let planPath: string;

  it("--dry-run --json --output shows the plan and deletes nothing", async () => {
    planPath = join(dir, "plan.json");
    const r = await gc("--dry-run", "--json", "--output", planPath);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(planPath, "utf8")).toBe(`${r.stdout}\n`);
    plan = JSON.parse(r.stdout).plan;
    const by = new Map(artifacts(plan).map((a) => [a.digest, a]));
    const decision = (digest: string) => by.get(digest)?.decision;

    // The two newest v* by their recorded push times stay; older ones go.
    expect(by.get(v3.digest)).toMatchObject({
      decision: "keep",
      reason: "rule",
      pushedAt: expect.any(String),
    });
    expect(decision(v2.digest)).toBe("keep");
    expect(by.get(v1.digest)).toMatchObject({ decision: "delete", reason: "not-retained" });
    expect(decision(v0.digest)).toBe("delete");
    for (const child of v0.children) {
      expect(by.get(child.digest)).toMatchObject({ decision: "delete", role: "index-child" });
    }
    // Referrers follow their subject, legacy cosign tags included.
    expect(by.get(v1Attestation)).toMatchObject({ decision: "delete", role: "referrer" });
    expect(by.get(v3Sbom)).toMatchObject({ decision: "keep", role: "referrer" });
    expect(by.get(stable.digest)).toMatchObject({
      decision: "keep",
      rule: { index: 1, template: "always" },
    });
    expect(decision(dev.digest)).toBe("delete");
    expect(by.get(tool.digest)).toMatchObject({
      decision: "keep",
      reason: "no-rule-for-repository",
    });

    // Nothing was deleted, nothing audited.
    for (const a of artifacts(plan))
      expect(await pullStatus(reg, a.repository, a.digest)).toBe(200);
    expect(await deletedRecords()).toEqual([]);
    expect(r.stderr).toMatch(/^\[\d\/2\] gc\/app: \d+ artifacts, \d+ to delete$/m);
  });

  it("--apply --plan deletes exactly the planned digests and audits each", async () => {
    const r = await gc("--apply", "--plan", planPath);
    expect(r.code, r.stderr).toBe(0);
    const planned = artifacts(plan).filter((a) => a.decision === "delete");
    expect(planned.length).toBeGreaterThanOrEqual(6);
    for (const a of artifacts(plan)) {
      expect(await pullStatus(reg, a.repository, a.digest), `${a.repository}@${a.digest}`).toBe(
        a.decision === "delete" ? 404 : 200,
      );
    }
    expect((await deletedRecords()).sort()).toEqual(planned.map((a) => a.digest).sort());
    expect(r.stdout).toMatch(new RegExp(`, ${planned.length} deleted, 0 failed`));
    // No topic named: the summary alert is printed to stderr.
    expect(r.stderr).toContain(plan.planId.slice(0, 12));
  });

  it("a second gc --apply deletes nothing", async () => {
    const r = await gc("--apply", "--json");
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ schemaVersion: 1, dryRun: false });
    expect(doc.applied).toMatchObject({ deleted: 0, failed: [] });
    expect(doc.plan.totals.deleted).toBe(0);
    for (const img of [v2, v3, stable, tool]) {
      expect(await pullStatus(reg, img.repository, img.digest)).toBe(200);
    }
  });

  it("refuses the plan at another registry's URL, before deleting anything", async () => {
    const r = await runCaptured([
      ...["gc", "--apply", "--plan", planPath, "--registry", "http://localhost:1"],
      ...["--policy", policy, "--table", table, "--endpoint-dynamodb", dynamo.endpoint],
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`was made for oci:${reg.host}`);
    expect(r.stderr).toContain("not for oci:localhost:1");
  });
});
