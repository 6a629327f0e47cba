import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { publishSizeBytes, SNS_MAX_PUBLISH_BYTES } from "../../shared/domain/alert-envelope.ts";
import { buildGateAlert, type GateAlertInput } from "../../shared/domain/alert-message.ts";
import type { Finding } from "../../shared/domain/finding.ts";
import { SEVERITIES, type Severity, severityRank } from "../../shared/domain/severity.ts";
import type { AllowlistUse, GateVerdict } from "../../shared/domain/verdict.ts";

const zero = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;

function gateInput(findings: Finding[], allowlisted: AllowlistUse[] = []): GateAlertInput {
  const counts = { ...zero };
  for (const x of findings) counts[x.severity] += 1;
  const verdict: GateVerdict = {
    verdict: "fail",
    reasons: [{ rule: "blockAt", threshold: "LOW", findings }],
    counts,
    totalCounts: counts,
    allowlisted,
    expiredAllowlist: [],
    ignored: { unfixed: 0, belowMinScore: 0 },
    policyVersion: "p1",
    evaluatedAt: "2024-05-01T12:00:00.000Z",
  };
  return {
    image: {
      registry: "ecr",
      registryId: "123456789012",
      repository: "team-a/api",
      digest: `sha256:${"cd".repeat(32)}`,
      tags: ["v1"],
    },
    verdict,
    action: "quarantined",
    eventId: "evt-1",
    policyVersion: "p1",
  };
}

// Realistic findings: ids, packages, versions, an Inspector-style title and an NVD url.
function finding(i: number): Finding {
  const severity = SEVERITIES[i % 4] as Severity;
  return {
    id: `CVE-2024-${String(i).padStart(5, "0")}`,
    severity,
    score: (i % 100) / 10,
    package: `package-number-${i}`,
    installedVersion: `1.${i}.0-r${i % 7}`,
    fixedVersion: `1.${i}.1`,
    title: `CVE-2024-${i} - package-number-${i} heap buffer overflow in the parser`,
    url: `https://nvd.nist.gov/vuln/detail/CVE-2024-${String(i).padStart(5, "0")}`,
  };
}

interface ReasonJson {
  findingCount: number;
  findings: Finding[];
}

describe("alert size", () => {
  it("keeps an alert with 50,000 findings under SNS's 256 KB, most severe findings first", () => {
    const findings = Array.from({ length: 50_000 }, (_, i) => finding(i));
    const alert = buildGateAlert(gateInput(findings));

    expect(publishSizeBytes(alert)).toBeLessThanOrEqual(SNS_MAX_PUBLISH_BYTES);
    const reason = (alert.json.reasons as ReasonJson[])[0] as ReasonJson;
    expect(reason.findingCount).toBe(50_000);
    const kept = reason.findings;
    expect(kept.length).toBeGreaterThan(50);
    expect(kept.length).toBeLessThan(50_000);
    expect(alert.json.truncated).toEqual({ omittedFindings: 50_000 - kept.length });
    // 12,500 of each severity: everything kept is CRITICAL, highest scores first.
    expect(kept.every((x) => x.severity === "CRITICAL")).toBe(true);
    for (let i = 1; i < kept.length; i++) {
      expect((kept[i - 1]?.score ?? 0) >= (kept[i]?.score ?? 0)).toBe(true);
    }
    // The text stays readable: ten findings and a pointer to the rest.
    expect(alert.text).toContain("... and 49990 more");
  });

  it("leaves a small alert whole, with no truncated field", () => {
    const findings = Array.from({ length: 40 }, (_, i) => finding(i));
    const alert = buildGateAlert(gateInput(findings));
    expect((alert.json.reasons as ReasonJson[])[0]?.findings).toHaveLength(40);
    expect(alert.json).not.toHaveProperty("truncated");
  });

  it("also cuts huge allowlist id lists, saying how many ids were left out", () => {
    const ids = Array.from(
      { length: 50_000 },
      (_, i) => `GHSA-${i.toString(36).padStart(4, "0")}-xxxx-yyyy`,
    );
    const alert = buildGateAlert(
      gateInput(
        [finding(1)],
        [
          {
            entry: { id: "GHSA-*", reason: "vendored test data", expires: "2099-01-01" },
            findingIds: ids,
          },
        ],
      ),
    );
    expect(publishSizeBytes(alert)).toBeLessThanOrEqual(SNS_MAX_PUBLISH_BYTES);
    const use = (alert.json.allowlisted as { findingCount: number; findingIds: string[] }[])[0];
    expect(use?.findingCount).toBe(50_000);
    expect(alert.json.truncated).toMatchObject({
      omittedAllowlistFindingIds: 50_000 - (use?.findingIds.length ?? 0),
    });
  });

  it("survives thousands of allowlist entries with long reasons", () => {
    const uses: AllowlistUse[] = Array.from({ length: 5000 }, (_, i) => ({
      entry: {
        id: `CVE-2020-${i}`,
        reason: "r".repeat(500),
        expires: "2099-01-01",
        repositories: ["team-*/**"],
      },
      findingIds: [`CVE-2020-${i}`],
    }));
    const alert = buildGateAlert(gateInput([finding(1)], uses));
    expect(publishSizeBytes(alert)).toBeLessThanOrEqual(SNS_MAX_PUBLISH_BYTES);
    expect(alert.json.truncated).toMatchObject({ omittedAllowlistEntries: 4980 });
  });

  it("stays under the limit for any findings, however verbose or non-ASCII", () => {
    const arbFinding = fc.record({
      id: fc.string({ minLength: 1, maxLength: 60 }),
      severity: fc.constantFrom(...SEVERITIES),
      score: fc.option(fc.double({ min: 0, max: 10, noNaN: true }), { nil: undefined }),
      package: fc.option(fc.string({ unit: "grapheme", maxLength: 80 }), { nil: undefined }),
      title: fc.option(fc.string({ unit: "grapheme", maxLength: 3000 }), { nil: undefined }),
    });
    fc.assert(
      fc.property(
        fc.array(arbFinding, { maxLength: 1500 }),
        fc.string({ unit: "grapheme", maxLength: 5000 }),
        (raw, detail) => {
          const findings = raw.map(
            (x) =>
              Object.fromEntries(
                Object.entries(x).filter(([, v]) => v !== undefined),
              ) as unknown as Finding,
          );
          const input = gateInput(findings);
          input.verdict.reasons.push({ rule: "requireScan", detail });
          const alert = buildGateAlert(input);
          expect(publishSizeBytes(alert)).toBeLessThanOrEqual(SNS_MAX_PUBLISH_BYTES);
          const reason = (alert.json.reasons as ReasonJson[])[0] as ReasonJson;
          const omitted =
            (alert.json.truncated as { omittedFindings?: number } | undefined)?.omittedFindings ??
            0;
          expect(reason.findings.length + omitted).toBe(findings.length);
          // What is kept is never less severe than what was left out.
          const keptMin = Math.min(...reason.findings.map((x) => severityRank(x.severity)));
          const all = findings.map((x) => severityRank(x.severity)).sort((a, b) => b - a);
          if (omitted > 0 && reason.findings.length > 0)
            expect(keptMin).toBeGreaterThanOrEqual(all[reason.findings.length] ?? 0);
        },
      ),
      { numRuns: 40 },
    );
  });
});
