import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ECRClient } from "@aws-sdk/client-ecr";
import { STSClient } from "@aws-sdk/client-sts";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, describe, expect, it } from "vitest";
import { runCaptured } from "../../cli/run-captured.ts";
import type { PlannedArtifact, RetentionPlan } from "../../shared/domain/retention-plan.ts";

const F = "test/fixtures/inventory/cli";
const API = `${F}/shop-api.json`;
const MORE = `${F}/shop-web-and-tools.json`;
const POLICY = `${F}/policy.yaml`;
const NOW = "2026-06-15T00:00:00Z";

// Offline: nothing may reach AWS, and no credentials are needed.
const ecr = mockClient(ECRClient);
const sts = mockClient(STSClient);
afterAll(() => {
  ecr.restore();
  sts.restore();
});
const NO_AWS = { PATH: process.env.PATH ?? "" };

const plan = (...args: string[]) => runCaptured(["retention", "plan", ...args], NO_AWS);
const both = ["--inventory", API, "--inventory", MORE, "--policy", POLICY];

function artifactOf(p: RetentionPlan, repository: string, tag: string): PlannedArtifact {
  const found = p.repositories
    .find((r) => r.repository === repository)
    ?.artifacts.find((a) => a.tags.some((t) => t === tag || t.startsWith(tag)));
  if (!found) throw new Error(`no ${repository}:${tag} in the plan`);
  return found;
}

describe("retention plan over describe-images files", () => {
  it("plans every repository of every file, with the rule or protection of each decision", async () => {
    const r = await plan(...both, "--now", NOW, "--json");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ schemaVersion: 1, dryRun: true });
    const p = doc.plan as RetentionPlan;
    expect(p.now).toBe("2026-06-15T00:00:00.000Z");
    expect(p.repositories.map((x) => x.repository)).toEqual(["shop/api", "shop/web", "tools/ci"]);
    expect(p.totals.artifacts).toBe(11);
    // latestPushedK 2 keeps the two newest pushes of shop/api ...
    expect(artifactOf(p, "shop/api", "v1.2.0")).toMatchObject({
      decision: "keep",
      reason: "rule",
      rule: { index: 0, template: "latestPushedK" },
    });
    // ... an older one goes, and its legacy cosign signature with it ...
    const v1 = artifactOf(p, "shop/api", "v1.0.0");
    expect(v1).toMatchObject({ decision: "delete", reason: "not-retained" });
    expect(artifactOf(p, "shop/api", v1.digest.replace(":", "-"))).toMatchObject({
      decision: "delete",
      reason: "subject-deleted",
      role: "referrer",
    });
    // ... while an immutable tag protects an even older one.
    expect(artifactOf(p, "shop/api", "release-2025")).toMatchObject({
      decision: "keep",
      reason: "immutable-tag",
    });
    // No rule covers tools/ci.
    expect(artifactOf(p, "tools/ci", "builder")).toMatchObject({
      decision: "keep",
      reason: "no-rule-for-repository",
    });
    expect(ecr.calls()).toHaveLength(0);
    expect(sts.calls()).toHaveLength(0);
  });

  it("prints the same bytes for the same --now, whatever the order of the files", async () => {
    for (const json of [[], ["--json"]]) {
      const a = await plan(...both, "--now", NOW, ...json);
      const b = await plan(...both, "--now", NOW, ...json);
      const c = await plan(
        "--inventory",
        MORE,
        "--inventory",
        API,
        "--policy",
        POLICY,
        "--now",
        NOW,
        ...json,
      );
      expect(a.code).toBe(0);
      expect(b.stdout).toBe(a.stdout);
      expect(c.stdout).toBe(a.stdout);
    }
  });

  it("plans as of --now: the same inventory later keeps less", async () => {
    const early = JSON.parse(
      (await plan(...both, "--now", "2026-02-05T00:00:00Z", "--json")).stdout,
    ).plan as RetentionPlan;
    const late = JSON.parse((await plan(...both, "--now", NOW, "--json")).stdout)
      .plan as RetentionPlan;
    // v1.0.0 was pulled on 2026-02-01: within nDaysSinceLastPull 30 early on, not by June.
    expect(artifactOf(early, "shop/api", "v1.0.0")).toMatchObject({
      decision: "keep",
      rule: { index: 1, template: "nDaysSinceLastPull" },
    });
    expect(artifactOf(late, "shop/api", "v1.0.0").decision).toBe("delete");
    expect(early.planId).not.toBe(late.planId);
  });

  it("shows a table per repository with bytes, and a summary", async () => {
    const r = await plan(...both, "--now", NOW);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      "ecr:123456789012/shop/api: 7 artifacts, 3 kept, 4 to delete, 148.0 MiB to reclaim",
    );
    expect(r.stdout).toMatch(
      /^DIGEST +ROLE +TAGS +PUSHED +LAST PULLED +SIZE +DECISION +DECIDED BY +DETAIL$/m,
    );
    expect(r.stdout).toMatch(/release-2025 .* keep +protection immutable-tag/);
    expect(r.stdout).toMatch(
      /\noffline plan: 3 repositories, 6 kept, 5 to delete, 0 failed, 348\.0 MiB to reclaim; nothing was deleted$/,
    );
  });

  it("keeps to the repositories --repository selects", async () => {
    const r = await plan(...both, "--now", NOW, "--json", "--repository", "shop/*");
    const p = JSON.parse(r.stdout).plan as RetentionPlan;
    expect(p.repositories.map((x) => x.repository)).toEqual(["shop/api", "shop/web"]);
    const none = await plan(...both, "--now", NOW, "--repository", "nothing/**");
    expect(none.code).toBe(0);
    expect(none.stderr).toContain("no repository in the inventories matches nothing/**");
  });

  it("reads pages of one repository split across files (AWS CLI v2 and v1 time formats)", async () => {
    const r = await plan(
      ...["--inventory", "test/fixtures/inventory/describe-images-page1.json"],
      ...["--inventory", "test/fixtures/inventory/describe-images-page2.json"],
      ...["--inventory", "test/fixtures/inventory/describe-images-cli-v1.json"],
      ...["--policy", POLICY, "--now", NOW, "--json"],
    );
    expect(r.code).toBe(0);
    const p = JSON.parse(r.stdout).plan as RetentionPlan;
    const digests = p.repositories.flatMap((x) =>
      x.artifacts.map((a) => `${x.repository}@${a.digest}`),
    );
    expect(new Set(digests).size).toBe(digests.length);
  });
});

describe("retention plan: bad input exits 2 with a specific message", () => {
  const dir = mkdtempSync(join(tmpdir(), "rg-cli-retention-"));
  const write = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const unknownField = write(
    "unknown-field.yaml",
    'version: 1\nretention:\n  rules:\n    - keep: always\n      tagz: { matches: "*" }\n',
  );
  const notJson = write("not-json.json", "imageDetails: []\n");
  const missing = join(dir, "missing.json");

  it.each([
    [["--inventory", API, "--policy", POLICY], "required option '--now <iso>' not specified"],
    [
      ["--inventory", API, "--policy", POLICY, "--now", "2026-06-15"],
      "--now 2026-06-15: expected an ISO 8601 date-time with its offset",
    ],
    [
      ["--inventory", API, "--policy", POLICY, "--now", "2026-06-15T00:00:00"],
      "--now 2026-06-15T00:00:00: expected an ISO 8601 date-time with its offset",
    ],
    [
      ["--inventory", API, "--policy", POLICY, "--now", "2026-02-30T00:00:00Z"],
      "--now 2026-02-30T00:00:00Z",
    ],
    [["--policy", POLICY, "--now", NOW], "required option '--inventory <file>' not specified"],
    [
      ["--inventory", missing, "--policy", POLICY, "--now", NOW],
      `--inventory ${missing}: no such file`,
    ],
    [["--inventory", notJson, "--policy", POLICY, "--now", NOW], `${notJson}: not JSON`],
    [
      [
        "--inventory",
        "test/fixtures/inventory/describe-images-bad-date.json",
        "--policy",
        POLICY,
        "--now",
        NOW,
      ],
      "imageDetails[1].imagePushedAt: expected an ISO date-time",
    ],
    [
      ["--inventory", API, "--policy", unknownField, "--now", NOW],
      `${unknownField}:5:7 retention.rules[0].tagz: Unknown field "tagz"`,
    ],
    [["--inventory", API, "--policy", join(dir, "nope.yaml"), "--now", NOW], "--policy"],
    [["--inventory", API, "--policy", POLICY, "--now", NOW, "--repository", ""], "--repository"],
  ])("%j", async (args, message) => {
    const r = await plan(...args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(message);
  });

  it("reads the files it is given and nothing else", () => {
    // The fixtures are what the tests above read: they must exist and be describe-images output.
    for (const f of [API, MORE])
      expect(JSON.parse(readFileSync(f, "utf8")).imageDetails.length).toBeGreaterThan(0);
  });
});
