import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadPolicy } from "../../shared/domain/policy-load.ts";
import { resolvePolicy } from "../../shared/domain/policy-resolve.ts";
import { gateDecision } from "../../shared/domain/severity-gate.ts";
import { parseFindingsDocument } from "../../shared/findings/parse-findings-document.ts";

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), "utf8");
const loaded = loadPolicy(read("examples/registry-guard.yaml"), "registry-guard.yaml");

function decide(file: string, repository: string, now: string, pushedAt?: string) {
  const scan = parseFindingsDocument(JSON.parse(read(`examples/findings/${file}`)), "auto");
  return gateDecision({
    scan,
    policy: resolvePolicy(loaded, repository),
    now: new Date(now),
    pushedAt,
  });
}

describe("the example findings under the example policy", () => {
  it("trivy-pass.json passes, now and years from now", () => {
    for (const now of ["2026-06-15T09:00:00Z", "2030-01-01T00:00:00Z"]) {
      const d = decide("trivy-pass.json", "team-a/api", now);
      if (d.status !== "decided") throw new Error("expected a decision");
      expect(d.verdict.verdict).toBe("pass");
      expect(d.verdict.ignored.belowMinScore).toBe(1);
    }
  });

  it("ecr-enhanced-fail.json fails on blockAt and maxCounts and reports the expired entry", () => {
    const d = decide("ecr-enhanced-fail.json", "prod/web", "2026-06-15T09:00:00Z");
    if (d.status !== "decided") throw new Error("expected a decision");
    expect(d.verdict.verdict).toBe("fail");
    expect(d.verdict.reasons.map((r) => r.rule)).toEqual(["blockAt", "maxCounts"]);
    expect(d.verdict.expiredAllowlist.map((u) => u.entry.id)).toEqual(["CVE-2024-3094"]);
  });

  it("ecr-scan-in-progress.json is pending inside prod's 15-minute timeout and fails after it", () => {
    const pushedAt = "2026-06-15T09:00:00Z";
    expect(
      decide("ecr-scan-in-progress.json", "prod/web", "2026-06-15T09:05:00Z", pushedAt),
    ).toEqual({
      status: "pending",
      retryAfter: "2026-06-15T09:15:00.000Z",
    });
    const late = decide("ecr-scan-in-progress.json", "prod/web", "2026-06-15T09:15:00Z", pushedAt);
    if (late.status !== "decided") throw new Error("expected a decision");
    expect(late.verdict.reasons.map((r) => r.rule)).toEqual(["requireScan"]);
  });
});
