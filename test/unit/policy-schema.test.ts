import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { loadPolicy } from "../../shared/domain/policy-load.ts";
import { isExpiryInstant, policyDocumentSchema } from "../../shared/domain/policy-schema.ts";

const exampleText = readFileSync(
  new URL("../../examples/registry-guard.yaml", import.meta.url),
  "utf8",
);

describe("policy schema", () => {
  it("accepts the shipped example", () => {
    const result = policyDocumentSchema.safeParse(parse(exampleText));
    expect(result.error?.issues).toBeUndefined();
    expect(result.success).toBe(true);
  });

  it("the example has the overrides and allowlist entries the docs promise", () => {
    const { document } = loadPolicy(exampleText, "registry-guard.yaml");
    const prod = document.repositories?.find((r) => r.match === "prod/**");
    expect(prod?.gate).toMatchObject({ blockAt: "HIGH", onFail: "quarantine" });
    const sandbox = document.repositories?.find(
      (r) => Array.isArray(r.match) && r.match.some((g) => g.startsWith("sandbox")),
    );
    expect(sandbox?.gate?.onFail).toBe("alert");
    expect(document.allowlist).toHaveLength(2);
    const now = Date.parse("2026-03-01T00:00:00Z");
    const expired = document.allowlist?.filter((e) => Date.parse(e.expires) <= now) ?? [];
    expect(expired.map((e) => e.id)).toEqual(["CVE-2024-3094"]);
  });

  it("accepts the smallest policy: only a version", () => {
    expect(policyDocumentSchema.safeParse({ version: 1 }).success).toBe(true);
  });

  it("allows blockAt: null only next to a non-empty maxCounts", () => {
    const gate = (g: object) =>
      policyDocumentSchema.safeParse({ version: 1, defaults: { gate: g } });
    expect(gate({ blockAt: null, maxCounts: { HIGH: 2 } }).success).toBe(true);
    expect(gate({ blockAt: null }).success).toBe(false);
    expect(gate({ blockAt: null, maxCounts: {} }).success).toBe(false);
  });

  it("checks counts, scores and retention ranges", () => {
    const bad = [
      { defaults: { gate: { maxCounts: { HIGH: 1.5 } } } },
      { defaults: { gate: { maxCounts: { SEVERE: 1 } } } },
      { defaults: { gate: { minScore: 11 } } },
      { defaults: { gate: { minScore: -1 } } },
      { defaults: { audit: { retentionDays: 0 } } },
      { repositories: [{ match: [] }] },
      { repositories: [{ match: "  prod/*" }] },
      { repositories: [{ gate: { onFail: "alert" } }] },
      { allowlist: [{ id: " ", reason: "r", expires: "2026-01-01" }] },
    ];
    for (const doc of bad) {
      expect(
        policyDocumentSchema.safeParse({ version: 1, ...doc }).success,
        JSON.stringify(doc),
      ).toBe(false);
    }
  });
});

describe("isExpiryInstant", () => {
  it.each([
    ["2026-12-31", true],
    ["2028-02-29", true],
    ["2026-12-31T18:00:00Z", true],
    ["2026-12-31T18:00Z", true],
    ["2026-12-31T18:00:00.250+02:00", true],
    ["2026-02-29", false],
    ["2026-02-30", false],
    ["2026-13-01", false],
    ["2026-12-31T18:00:00", false],
    ["2026-12-31T25:00:00Z", false],
    ["31/12/2026", false],
    ["tomorrow", false],
  ])("%s → %s", (value, ok) => {
    expect(isExpiryInstant(value)).toBe(ok);
  });
});
