import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCaptured } from "../../cli/run-captured.ts";

const POLICY = "examples/registry-guard.yaml";
const PASS = "examples/findings/trivy-pass.json";
const FAIL = "examples/findings/ecr-enhanced-fail.json";
const IN_PROGRESS = "examples/findings/ecr-scan-in-progress.json";

function gate(...args: string[]) {
  return runCaptured(["gate", "--policy", POLICY, ...args]);
}

function tempFile(name: string, text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), "rg-cli-gate-")), name);
  writeFileSync(path, text);
  return path;
}

describe("gate", () => {
  it("passes the Trivy example for team-a/api: exit 0 and the stable JSON shape", async () => {
    const r = await gate("--findings", PASS, "--repository", "team-a/api", "--json");
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(Object.keys(json).sort()).toEqual(
      [
        "allowlisted",
        "counts",
        "evaluatedAt",
        "expiredAllowlist",
        "ignored",
        "matchedRules",
        "policyVersion",
        "reasons",
        "repository",
        "schemaVersion",
        "totalCounts",
        "verdict",
      ].sort(),
    );
    expect(json).toMatchObject({
      schemaVersion: 1,
      verdict: "pass",
      repository: "team-a/api",
      reasons: [],
      counts: { MEDIUM: 2 },
      ignored: { belowMinScore: 1 },
    });
    // The version the gate reports is the one `policy validate` computes for the same file.
    const validated = await runCaptured(["policy", "validate", POLICY, "--json"]);
    expect(json.policyVersion).toBe(JSON.parse(validated.stdout).version);
  });

  it("fails the enhanced ECR example for prod/web: exit 1, both rules and the expired entry", async () => {
    const r = await gate("--findings", FAIL, "--repository", "prod/web", "--json");
    expect(r.code).toBe(1);
    const json = JSON.parse(r.stdout);
    expect(json.verdict).toBe("fail");
    expect(json.matchedRules).toEqual(["prod/**"]);
    expect(json.reasons.map((x: { rule: string }) => x.rule).sort()).toEqual([
      "blockAt",
      "maxCounts",
    ]);
    expect(json.expiredAllowlist.map((u: { entry: { id: string } }) => u.entry.id)).toContain(
      "CVE-2024-3094",
    );
  });

  it("explains a failure in text", async () => {
    const r = await gate("--findings", FAIL, "--repository", "prod/web");
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^FAIL {2}prod\/web/);
    expect(r.stdout).toContain("CVE-2024-3094");
    expect(r.stdout).toContain("EXPIRED allowlist entry CVE-2024-3094");
  });

  it("reports a scan still in progress as pending (exit 1) until the scan timeout", async () => {
    const pending = await gate(
      ...["--findings", IN_PROGRESS, "--repository", "prod/web", "--json"],
      ...["--pushed-at", "2026-06-15T09:00:00Z", "--now", "2026-06-15T09:05:00Z"],
    );
    expect(pending.code).toBe(1);
    expect(JSON.parse(pending.stdout)).toEqual({
      schemaVersion: 1,
      verdict: "pending",
      repository: "prod/web",
      retryAfter: "2026-06-15T09:15:00.000Z",
    });

    const late = await gate(
      ...["--findings", IN_PROGRESS, "--repository", "prod/web", "--json"],
      ...["--pushed-at", "2026-06-15T09:00:00Z", "--now", "2026-06-15T09:20:00Z"],
    );
    expect(late.code).toBe(1);
    const json = JSON.parse(late.stdout);
    expect(json.verdict).toBe("fail");
    expect(json.reasons[0].rule).toBe("requireScan");
  });

  it("rejects an unknown --format with exit 2 and no verdict", async () => {
    const r = await gate("--findings", PASS, "--repository", "team-a/api", "--format", "xml");
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("--format xml: expected one of ecr, trivy, grype, auto");
  });

  it("rejects findings in another format than the one named", async () => {
    const r = await gate("--findings", PASS, "--repository", "team-a/api", "--format", "grype");
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).not.toBe("");
  });

  it("rejects an invalid policy with exit 2, naming line and column", async () => {
    const bad = tempFile("bad.yaml", "version: 1\ndefaults:\n  gate:\n    blokAt: HIGH\n");
    const r = await gate("--findings", PASS, "--repository", "team-a/api", "--policy", bad);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(new RegExp(`${bad.replaceAll("/", "\\/")}:4:5`));
  });

  it("rejects unreadable or malformed inputs with exit 2", async () => {
    const missing = await gate("--findings", "no/such.json", "--repository", "team-a/api");
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("--findings no/such.json: no such file");

    const notJson = tempFile("f.json", "{ not json");
    const malformed = await gate("--findings", notJson, "--repository", "team-a/api");
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain("not valid JSON");

    const badNow = await gate(...["--findings", PASS, "--repository", "a/b", "--now", "noon"]);
    expect(badNow.code).toBe(2);
    expect(badNow.stderr).toContain("--now noon");

    const localTime = await gate(
      ...["--findings", PASS, "--repository", "a/b", "--pushed-at", "2026-06-15T09:00:00"],
    );
    expect(localTime.code).toBe(2);
    expect(localTime.stderr).toContain("--pushed-at 2026-06-15T09:00:00");
  });

  it("requires --findings, --policy and --repository", async () => {
    const r = await runCaptured(["gate", "--findings", PASS]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("required option");
    expect(r.stderr).toContain("(run with --help for usage)");
  });
});
