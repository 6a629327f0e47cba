import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadPolicy, PolicyError, type PolicyIssue } from "../../shared/domain/policy-load.ts";

const FILE = "registry-guard.yaml";

/** Loads text that must fail and returns the error. */
function failure(text: string): PolicyError {
  try {
    loadPolicy(text, FILE);
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyError);
    return error as PolicyError;
  }
  throw new Error("expected the policy to be rejected");
}

function onlyIssue(text: string): PolicyIssue {
  const error = failure(text);
  expect(error.issues).toHaveLength(1);
  return error.issues[0] as PolicyIssue;
}

describe("loadPolicy: valid input", () => {
  it("returns the document, the file name and a 12-hex content version", () => {
    const text = "version: 1\ndefaults:\n  gate:\n    blockAt: HIGH\n";
    const loaded = loadPolicy(text, FILE);
    expect(loaded.fileName).toBe(FILE);
    expect(loaded.document.defaults?.gate?.blockAt).toBe("HIGH");
    expect(loaded.version).toMatch(/^[0-9a-f]{12}$/);
    expect(loaded.version).toBe(
      createHash("sha256").update(Buffer.from(text, "utf8")).digest("hex").slice(0, 12),
    );
  });

  it("gives a new version for any byte change, even a comment", () => {
    const a = loadPolicy("version: 1\n", FILE).version;
    expect(loadPolicy("version: 1\n", "other.yaml").version).toBe(a);
    expect(loadPolicy("version: 1\n# note\n", FILE).version).not.toBe(a);
  });

  it("keeps dates as strings even under a YAML 1.1 directive", () => {
    const text =
      "%YAML 1.1\n---\nversion: 1\nallowlist:\n  - id: CVE-1\n    reason: r\n    expires: 2026-12-31\n";
    expect(loadPolicy(text, FILE).document.allowlist?.[0]?.expires).toBe("2026-12-31");
  });
});

describe("loadPolicy: every issue points at the offending line and column", () => {
  it("unknown key: at the key, naming it and the allowed fields", () => {
    const issue = onlyIssue("version: 1\ndefaults:\n  gate:\n    blokAt: HIGH\n");
    expect(issue).toMatchObject({ line: 4, column: 5, path: "defaults.gate.blokAt" });
    expect(issue.message).toContain('Unknown field "blokAt"');
    expect(issue.message).toContain("blockAt");
  });

  it("unknown keys: one issue per key, at the top level too", () => {
    const error = failure("version: 1\nfoo: 1\ndefaults:\n  gates: {}\n");
    expect(error.code).toBe("POLICY_INVALID");
    expect(error.issues.map((i) => [i.line, i.column, i.path])).toEqual([
      [2, 1, "foo"],
      [4, 3, "defaults.gates"],
    ]);
  });

  it("bad enum: at the value", () => {
    const issue = onlyIssue("version: 1\ndefaults:\n  gate:\n    blockAt: HUGE\n");
    expect(issue).toMatchObject({ line: 4, column: 14, path: "defaults.gate.blockAt" });
    expect(issue.message).toMatch(/expected one of.*CRITICAL.*LOW/);
  });

  it("bad enum inside a list item and a flow mapping", () => {
    const text = 'version: 1\nrepositories:\n  - match: "prod/**"\n    gate: { onFail: delete }\n';
    const issue = onlyIssue(text);
    expect(issue).toMatchObject({ line: 4, column: 21, path: "repositories[0].gate.onFail" });
    expect(issue.message).toMatch(/alert.*quarantine/);
  });

  it("bad duration: a string without a valid unit, and a bare number", () => {
    const text =
      "version: 1\ndefaults:\n  gate:\n    scanTimeout: 30min\nrepositories:\n  - match: a\n    gate:\n      scanTimeout: 30\n";
    const [unit, bare] = failure(text).issues;
    expect(unit).toMatchObject({ line: 4, column: 18, path: "defaults.gate.scanTimeout" });
    expect(unit?.message).toContain('Invalid duration "30min"');
    expect(bare).toMatchObject({ line: 8, column: 20, path: "repositories[0].gate.scanTimeout" });
    expect(bare?.message).toMatch(/duration.*got number 30/);
  });

  it("bad date: a day that does not exist, and a date-time without a zone", () => {
    const text = [
      "version: 1",
      "allowlist:",
      "  - id: CVE-2023-44487",
      "    reason: mitigated",
      "    expires: 2026-02-30",
      "  - id: CVE-2024-1",
      "    reason: mitigated",
      '    expires: "2026-12-31T10:00"',
      "",
    ].join("\n");
    const [day, zone] = failure(text).issues;
    expect(day).toMatchObject({ line: 5, column: 14, path: "allowlist[0].expires" });
    expect(day?.message).toContain('"2026-02-30" is not a real date');
    expect(zone).toMatchObject({ line: 8, column: 14, path: "allowlist[1].expires" });
  });

  it("wrong type: at the value, saying what was expected and what was found", () => {
    const issue = onlyIssue('version: 1\ndefaults:\n  gate:\n    ignoreUnfixed: "yes"\n');
    expect(issue).toMatchObject({ line: 4, column: 20, path: "defaults.gate.ignoreUnfixed" });
    expect(issue.message).toMatch(/expected boolean/);
  });

  it("empty section: at its key", () => {
    const issue = onlyIssue("version: 1\ndefaults:\n  gate:\n");
    expect(issue).toMatchObject({ line: 3, column: 3, path: "defaults.gate" });
    expect(issue.message).toMatch(/expected a mapping.*got an empty value/);
  });

  it("missing required field: at the nearest existing parent", () => {
    const issue = onlyIssue("version: 1\nallowlist:\n  - id: CVE-1\n    expires: 2026-01-01\n");
    expect(issue).toMatchObject({ line: 3, column: 5, path: "allowlist[0].reason" });
    expect(issue.message).toMatch(/^required/);
  });

  it("missing version: at the top of the file", () => {
    const issue = onlyIssue("defaults: {}\n");
    expect(issue).toMatchObject({ line: 1, column: 1, path: "version" });
    expect(issue.message).toMatch(/required.*version: 1/);
  });

  it("bad glob in a match list: at the list item", () => {
    const issue = onlyIssue('version: 1\nrepositories:\n  - match: ["prod/*", 5]\n');
    expect(issue).toMatchObject({ line: 3, column: 23, path: "repositories[0].match[1]" });
    expect(issue.message).toMatch(/glob/);
  });

  it("empty glob: at the value", () => {
    const issue = onlyIssue('version: 1\nrepositories:\n  - match: ""\n');
    expect(issue).toMatchObject({ line: 3, column: 12, path: "repositories[0].match" });
    expect(issue.message).toMatch(/must not be empty/);
  });

  it("blockAt: null without maxCounts: at blockAt", () => {
    const issue = onlyIssue(
      "version: 1\nrepositories:\n  - match: a\n    gate:\n      blockAt: null\n",
    );
    expect(issue).toMatchObject({ line: 5, column: 16, path: "repositories[0].gate.blockAt" });
    expect(issue.message).toMatch(/maxCounts/);
  });

  it("empty file and non-mapping file: at 1:1", () => {
    for (const text of ["", "# only a comment\n", "- a\n"]) {
      const issue = onlyIssue(text);
      expect(issue).toMatchObject({ line: 1, column: 1, path: "" });
      expect(issue.message).toMatch(/version: 1/);
    }
  });

  it("YAML syntax error: POLICY_YAML with its position", () => {
    const error = failure("version: 1\ndefaults:\n  gate:\n    blockAt: HIGH: x\n");
    expect(error.code).toBe("POLICY_YAML");
    expect(error.issues).toEqual([
      { line: 4, column: 14, path: "", message: expect.stringContaining("Nested mappings") },
    ]);
  });

  it("duplicate keys and tab indentation are YAML errors", () => {
    const dup = failure(
      "version: 1\ndefaults:\n  gate:\n    onFail: alert\n    onFail: quarantine\n",
    );
    expect(dup.code).toBe("POLICY_YAML");
    expect(dup.issues[0]).toMatchObject({ line: 5, column: 5 });
    expect(dup.issues[0]?.message).toContain("DUPLICATE_KEY");
    expect(failure("version: 1\n\tdefaults: {}\n").issues[0]).toMatchObject({ line: 2, column: 1 });
  });

  it("refuses an alias bomb instead of expanding it", () => {
    const text = [
      "a: &a [x,x,x,x,x,x,x,x,x,x]",
      "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]",
      "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]",
      "d: [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]",
      "",
    ].join("\n");
    expect(failure(text).code).toBe("POLICY_YAML");
  });
});

describe("PolicyError message", () => {
  it("lists every issue as file:line:column path: message, in file order", () => {
    const text = "version: 1\ndefaults:\n  gate:\n    onFail: delete\n    blokAt: HIGH\n";
    const error = failure(text);
    const lines = error.message.split("\n");
    expect(lines[0]).toBe(`${FILE} does not match the policy schema (2 problems):`);
    expect(lines[1]).toMatch(
      /^registry-guard\.yaml:4:13 defaults\.gate\.onFail: Invalid option: expected one of/,
    );
    expect(lines[2]).toMatch(
      /^registry-guard\.yaml:5:5 defaults\.gate\.blokAt: Unknown field "blokAt"/,
    );
    expect(error.fileName).toBe(FILE);
  });
});

describe("docs/policy.md", () => {
  it("shows the error report the loader really produces for its example", () => {
    const docs = readFileSync(new URL("../../docs/policy.md", import.meta.url), "utf8");
    const errors = docs.slice(docs.indexOf("## Errors"));
    const yamlBlock = /```yaml\n([\s\S]*?)```/.exec(errors)?.[1];
    const textBlock = /```text\n([\s\S]*?)\n```/.exec(errors)?.[1];
    expect(yamlBlock).toBeDefined();
    expect(failure(yamlBlock ?? "").message).toBe(textBlock);
  });
});
