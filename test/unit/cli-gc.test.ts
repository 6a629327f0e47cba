import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { runCaptured } from "../../cli/run-captured.ts";
import { MemoryAuditLog } from "../../shared/adapters/memory/memory-audit-log.ts";
import { MemoryRetentionRegistry } from "../../shared/adapters/memory/memory-retention-registry.ts";
import { planIdOf } from "../../shared/domain/plan-id.ts";
import type { Artifact, RepositoryInventory } from "../../shared/domain/retention-inventory.ts";
import type { RetentionPlan } from "../../shared/domain/retention-plan.ts";
import type { Alert } from "../../shared/ports.ts";

// The registry is in memory (the ECR target is replaced), and so are the audit table and the
// alerts topic: this file tests the command; the adapters and stores have their own tests.
const state = vi.hoisted(() => ({
  registry: undefined as unknown as MemoryRetentionRegistry,
  audit: undefined as unknown as MemoryAuditLog,
  alerts: [] as Alert[],
  targets: [] as Record<string, unknown>[],
}));

vi.mock("../../cli/commands/gc-ecr.ts", () => ({
  ecrGcTarget: async (opts: { region?: string }) => {
    state.targets.push(opts);
    return {
      registry: state.registry,
      kind: "ecr",
      registryId: state.registry.registryId,
      region: opts.region ?? "eu-west-1",
      close() {},
    };
  },
}));

vi.mock("../../cli/aws-targets.ts", () => ({
  auditLog: () => state.audit,
  snsAlerts: () => ({
    publish: async (alert: Alert) => {
      state.alerts.push(alert);
      return { messageId: `m-${state.alerts.length}` };
    },
  }),
  READ_ONLY_RETENTION_DAYS: 400,
}));

const ACCOUNT = "123456789012";
const REGION = "eu-west-1";
const TOPIC = `arn:aws:sns:${REGION}:${ACCOUNT}:registry-guard-alerts`;
const DAY = 86_400_000;

const dir = mkdtempSync(join(tmpdir(), "rg-cli-gc-"));
function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

const POLICY = file(
  "registry-guard.yaml",
  [
    "version: 1",
    "retention:",
    "  rules:",
    "    - keep: latestPushedK",
    "      count: 1",
    '      repositories: { matches: "team/**" }',
    "  gc:",
    "    untaggedOlderThanDays: 7",
    "",
  ].join("\n"),
);

let n = 0;
function image(tags: string[], ageDays: number, extra: Partial<Artifact> = {}): Artifact {
  n += 1;
  return {
    digest: `sha256:${createHash("sha256").update(`image ${n}`).digest("hex")}`,
    tags,
    pushedAt: new Date(Date.now() - ageDays * DAY).toISOString(),
    lastPulledAt: null,
    sizeBytes: 1000 * n,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    ...extra,
  };
}

function inv(repository: string, artifacts: Artifact[]): RepositoryInventory {
  return {
    registry: "ecr",
    registryId: ACCOUNT,
    region: REGION,
    repository,
    artifacts,
    manifestsKnown: true,
    pullTimesKnown: true,
  };
}

let api: Artifact[];
let web: Artifact[];
let other: Artifact[];

beforeEach(() => {
  api = [image(["v3"], 1), image(["v2"], 20), image(["v1"], 40), image([], 30)];
  web = [image(["main"], 2), image(["old"], 50)];
  other = [image(["keep-me"], 90), image([], 60), image([], 1)];
  state.registry = new MemoryRetentionRegistry("ecr", ACCOUNT, [
    inv("team/api", api),
    inv("team/web", web),
    inv("other/tool", other),
  ]);
  state.audit = new MemoryAuditLog({ clock: () => new Date() });
  state.alerts = [];
  state.targets = [];
});

const gc = (...args: string[]) =>
  runCaptured(["gc", "--policy", POLICY, "--region", REGION, ...args]);
const applyWhere = ["--table", "audit-table", "--topic-arn", TOPIC];

function deletionsOf(plan: RetentionPlan): { repository: string; digest: string }[] {
  return plan.repositories.flatMap((r) =>
    r.artifacts
      .filter((a) => a.decision === "delete")
      .map((a) => ({ repository: r.repository, digest: a.digest })),
  );
}

function untouched() {
  expect(state.registry.deleteCalls).toEqual([]);
  expect(state.audit.all()).toEqual([]);
  expect(state.alerts).toEqual([]);
}

describe("gc: choosing what to do", () => {
  it.each([
    [[], "gc needs --dry-run (plan only: list what would be deleted, delete nothing) or --apply"],
    [["--dry-run", "--apply"], "--dry-run and --apply contradict each other"],
    [["--dry-run", "--plan", "p.json"], "--plan FILE is for --apply"],
    [["--apply", "--plan", "p.json", "--repository", "team/*"], "with --plan the plan file says"],
    [["--dry-run", "--concurrency", "0"], "--concurrency 0: expected a whole number from 1 to 32"],
    [["--dry-run", "--repository", " team"], "--repository"],
  ])("%j: exit 2, the registry is never called", async (args, message) => {
    const r = await gc(...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stdout).toBe("");
    expect(state.targets).toEqual([]);
    untouched();
  });

  it("needs a policy to plan", async () => {
    const r = await runCaptured(["gc", "--dry-run", "--region", REGION]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("no --policy given and no registry-guard.yaml here");
    expect(state.targets).toEqual([]);
  });

  it("refuses to apply without an audit table or, on ECR, an alerts topic", async () => {
    const noTable = await gc("--apply", "--topic-arn", TOPIC);
    expect(noTable.code).toBe(2);
    expect(noTable.stderr).toContain("no audit table");
    const noTopic = await gc("--apply", "--table", "audit-table");
    expect(noTopic.code).toBe(2);
    expect(noTopic.stderr).toContain("no alerts topic");
    expect(state.targets).toEqual([]);
    untouched();
  });

  it("refuses protections.inUse on an OCI registry when applying (no provider exists there)", async () => {
    const policy = file("in-use.yaml", "version: 1\nretention:\n  protections:\n    inUse: true\n");
    const r = await runCaptured([
      ...["gc", "--apply", "--policy", policy, "--registry", "http://127.0.0.1:9"],
      ...["--table", "audit-table"],
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("needs an in-use provider");
  });
});

describe("gc --dry-run", () => {
  it("prints every artifact with its decision and who made it, deletes and writes nothing", async () => {
    const r = await gc("--dry-run");
    expect(r.code).toBe(0);
    for (const a of [...api, ...web, ...other]) expect(r.stdout).toContain(a.digest.slice(0, 19));
    expect(r.stdout).toContain(`ecr:${ACCOUNT}/team/api (${REGION}): 4 artifacts`);
    expect(r.stdout).toMatch(/rule #0 latestPushedK/);
    expect(r.stdout).toMatch(/\ndry run: 3 repositories, .* nothing was deleted$/);
    // One progress line per repository on stderr (not a terminal here).
    const progress = r.stderr.split("\n").filter((l) => /^\[\d\/3\] /.test(l));
    expect(progress).toHaveLength(3);
    untouched();
  });

  it("keeps the newest tag and the protected, and plans to delete what the rule does not keep", async () => {
    const r = await gc("--dry-run", "--json");
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ schemaVersion: 1, dryRun: true });
    const plan = doc.plan as RetentionPlan;
    const decision = (d: string) =>
      plan.repositories.flatMap((x) => x.artifacts).find((a) => a.digest === d)?.decision;
    expect(decision(api[0]?.digest as string)).toBe("keep");
    expect(decision(api[1]?.digest as string)).toBe("delete");
    expect(decision(api[2]?.digest as string)).toBe("delete");
    // other/tool: no rule covers it; only garbage collection of old untagged images applies.
    expect(decision(other[0]?.digest as string)).toBe("keep");
    expect(decision(other[1]?.digest as string)).toBe("delete");
    expect(decision(other[2]?.digest as string)).toBe("keep");
    expect(r.stderr).toContain("dry run: 3 repositories");
    untouched();
  });

  it("only plans the repositories --repository selects", async () => {
    const r = await gc("--dry-run", "--json", "--repository", "team/*");
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.stdout).plan as RetentionPlan;
    expect(plan.repositories.map((x) => x.repository)).toEqual(["team/api", "team/web"]);
    expect(state.registry.inventoryCalls.sort()).toEqual(["team/api", "team/web"]);
  });

  it("writes the JSON document to --output, byte for byte what --json prints", async () => {
    const out = join(dir, "plan-output.json");
    const r = await gc("--dry-run", "--json", "--output", out);
    expect(r.code).toBe(0);
    expect(readFileSync(out, "utf8")).toBe(`${r.stdout}\n`);
    const bad = await gc("--dry-run", "--output", join(dir, "no-such-dir", "plan.json"));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("cannot write there");
    expect(state.registry.inventoryCalls.filter((c) => c === "team/api")).toHaveLength(1);
  });
});

describe("gc --apply --plan", () => {
  async function planFile(name = "plan.json"): Promise<{ path: string; plan: RetentionPlan }> {
    const path = join(dir, name);
    const r = await gc("--dry-run", "--output", path);
    expect(r.code).toBe(0);
    return { path, plan: JSON.parse(readFileSync(path, "utf8")).plan };
  }

  it("deletes exactly the planned digests, audits each, alerts once; a rerun deletes nothing", async () => {
    const { path, plan } = await planFile();
    const planned = deletionsOf(plan);
    expect(planned.length).toBeGreaterThan(0);
    // Something changes after the plan: a new push is not in the plan, so it is not touched.
    const late = image([], 400);
    state.registry.push("other/tool", late);

    const r = await gc("--apply", "--plan", path, ...applyWhere);
    expect(r.stderr).not.toContain("ERROR");
    expect(r.code).toBe(0);
    expect(state.registry.deletions).toEqual(
      expect.arrayContaining(planned.map((p) => expect.objectContaining(p))),
    );
    expect(state.registry.deletions).toHaveLength(planned.length);
    expect(state.registry.has("other/tool", late.digest)).toBe(true);
    const audited = state.audit.all().filter((a) => a.action === "image-deleted");
    expect(audited.map((a) => a.digest).sort()).toEqual(planned.map((p) => p.digest).sort());
    expect(state.alerts).toHaveLength(1);
    expect(r.stdout).toMatch(
      new RegExp(
        `applied plan ${plan.planId.slice(0, 12)}: 3 repositories, \\d+ kept, ${planned.length} deleted, 0 failed`,
      ),
    );

    const again = await gc("--apply", "--plan", path, ...applyWhere, "--json");
    expect(again.code).toBe(0);
    const doc = JSON.parse(again.stdout);
    expect(doc.applied).toMatchObject({ deleted: 0, alreadyGone: planned.length, failed: [] });
    expect(state.registry.deletions).toHaveLength(planned.length);
  });

  it("a later gc --apply without a plan finds nothing more to delete", async () => {
    const first = await gc("--apply", ...applyWhere, "--json");
    expect(first.code).toBe(0);
    const done = JSON.parse(first.stdout).applied.deleted as number;
    expect(done).toBeGreaterThan(0);
    const second = await gc("--apply", ...applyWhere, "--json");
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout).applied).toMatchObject({ deleted: 0, failed: [] });
    expect(state.registry.deletions).toHaveLength(done);
  });

  it("exits 1 and lists the digest when a deletion fails", async () => {
    const { path, plan } = await planFile("plan-fail.json");
    const victim = deletionsOf(plan)[0] as { repository: string; digest: string };
    state.registry.failOn(victim.digest, "ImageReferencedByManifestList", "still listed");
    const r = await gc("--apply", "--plan", path, ...applyWhere);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      `FAILED   ${victim.repository}@${victim.digest} ImageReferencedByManifestList`,
    );
    expect(r.stdout).toMatch(/, 1 failed/);
  });

  it("refuses a plan file that is not a valid plan, with the field at fault; nothing is deleted", async () => {
    const { plan } = await planFile("plan-source.json");
    const broken = structuredClone(plan);
    (broken.repositories[0]?.artifacts[0] as { digest: string }).digest = "sha256:nope";
    const uneven = structuredClone(plan);
    (uneven.repositories[0] as { deleted: number }).deleted += 1;
    // Consistent counts, one deletion less: only the planId tells.
    const edited = structuredClone(plan);
    const repo = edited.repositories.find((r) => r.deleted > 0) as (typeof edited.repositories)[0];
    const spared = repo.artifacts.find(
      (a) => a.decision === "delete",
    ) as (typeof repo.artifacts)[0];
    Object.assign(spared, {
      decision: "keep",
      reason: "rule",
      rule: { index: 0, template: "latestPushedK" },
    });
    repo.deleted -= 1;
    repo.kept += 1;
    edited.totals.deleted -= 1;
    edited.totals.kept += 1;
    const cases: [string, string][] = [
      [
        file("broken.json", JSON.stringify({ schemaVersion: 1, plan: broken })),
        "plan.repositories[0].artifacts[0].digest: expected sha256:<64 hex>",
      ],
      [
        file("uneven.json", JSON.stringify({ schemaVersion: 1, plan: uneven })),
        "do not match its artifacts' decisions",
      ],
      [file("not-json.json", "{"), "not valid JSON"],
      [file("other.json", JSON.stringify({ hello: 1 })), "planId"],
      [
        file("edited.json", JSON.stringify({ schemaVersion: 1, plan: edited })),
        "the plan was edited after it was made",
      ],
    ];
    for (const [path, message] of cases) {
      const r = await gc("--apply", "--plan", path, ...applyWhere);
      expect(r.code, path).toBe(2);
      expect(r.stderr, path).toContain(message);
    }
    const missing = await gc("--apply", "--plan", join(dir, "missing.json"), ...applyWhere);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("no such file");
    untouched();
  });

  it("refuses a plan made for another registry", async () => {
    const { plan } = await planFile("plan-elsewhere.json");
    const elsewhere = structuredClone(plan);
    for (const r of elsewhere.repositories) r.registryId = "999999999999";
    elsewhere.planId = planIdOf(elsewhere.policyVersion, elsewhere.repositories);
    const path = file("elsewhere.json", JSON.stringify({ schemaVersion: 1, plan: elsewhere }));
    const r = await gc("--apply", "--plan", path, ...applyWhere);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`was made for ecr:999999999999 (${REGION})`);
    expect(r.stderr).toContain(`not for ecr:${ACCOUNT} (${REGION})`);
    const otherRegion = await gc(
      "--apply",
      "--plan",
      join(dir, "plan-elsewhere.json"),
      ...applyWhere.slice(0, 2),
      "--topic-arn",
      TOPIC.replace(REGION, "us-east-1"),
      "--region",
      "us-east-1",
    );
    expect(otherRegion.code).toBe(2);
    expect(otherRegion.stderr).toContain("not for ecr:123456789012 (us-east-1)");
    untouched();
  });
});
