import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCaptured } from "../../cli/run-captured.ts";

function tempPolicy(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), "rg-cli-policy-")), "registry-guard.yaml");
  writeFileSync(path, text);
  return path;
}

describe("policy validate", () => {
  it("accepts the example policy: exit 0 and a summary", async () => {
    const json = await runCaptured([
      "policy",
      "validate",
      "examples/registry-guard.yaml",
      "--json",
    ]);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({
      schemaVersion: 1,
      valid: true,
      file: "examples/registry-guard.yaml",
      version: expect.stringMatching(/^[0-9a-f]{12}$/),
      overrides: 3,
      allowlistEntries: 2,
    });
    const text = await runCaptured(["policy", "validate", "examples/registry-guard.yaml"]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(
      /valid \(version [0-9a-f]{12}, 3 override\(s\), 2 allowlist entries\)/,
    );
  });

  it("reports every problem of an invalid policy with its line: exit 1", async () => {
    const file = tempPolicy(
      "version: 1\ndefaults:\n  gate:\n    blokAt: HIGH\n    onFail: explode\n",
    );
    const json = await runCaptured(["policy", "validate", file, "--json"]);
    expect(json.code).toBe(1);
    const out = JSON.parse(json.stdout);
    expect(out).toMatchObject({ schemaVersion: 1, valid: false, file, code: "POLICY_INVALID" });
    expect(out.issues.map((i: { line: number }) => i.line).sort()).toEqual([4, 5]);

    const text = await runCaptured(["policy", "validate", file]);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(`${file}:4:5`);
    expect(text.stdout).toContain(`${file}:5:`);
  });

  it("reports YAML syntax errors as invalid too", async () => {
    const file = tempPolicy("version: 1\ndefaults: [unclosed\n");
    const r = await runCaptured(["policy", "validate", file, "--json"]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ valid: false, code: "POLICY_YAML" });
  });

  it("exits 2 for a file that does not exist", async () => {
    const r = await runCaptured(["policy", "validate", "no/such/policy.yaml"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("no/such/policy.yaml: no such file");
  });
});

describe("policy schema", () => {
  it("prints a JSON Schema that describes the policy's fields", async () => {
    const r = await runCaptured(["policy", "schema"]);
    expect(r.code).toBe(0);
    const schema = JSON.parse(r.stdout);
    expect(schema.$schema).toMatch(/json-schema\.org/);
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining(["version", "defaults", "repositories", "allowlist"]),
    );
  });
});
