import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Finding, ScanResult } from "../../shared/domain/finding.ts";
import { allowlistExpiry } from "../../shared/domain/gate-allowlist.ts";
import type { AllowlistEntry, GatePolicy, ResolvedPolicy } from "../../shared/domain/policy.ts";
import {
  GATE_SEVERITIES,
  type GateSeverity,
  SEVERITIES,
  severityRank,
} from "../../shared/domain/severity.ts";
import { evaluateGate, gateDecision } from "../../shared/domain/severity-gate.ts";

const NOW = new Date("2026-06-15T12:00:00Z");
const REPO = "team-a/api";
const IDS = [
  "CVE-2024-0001",
  "CVE-2024-0002",
  "CVE-2024-0003",
  "GHSA-abcd-efgh-ijkl",
  "ALAS-2024-0005",
];

/** Same id in random letter case: scanners and policy files do not agree on case. */
const anyCase = (id: string) =>
  fc
    .array(fc.boolean(), { minLength: id.length, maxLength: id.length })
    .map((up) => [...id].map((c, i) => (up[i] ? c.toUpperCase() : c.toLowerCase())).join(""));

const findingArb: fc.Arbitrary<Finding> = fc
  .record(
    {
      id: fc.constantFrom(...IDS).chain(anyCase),
      severity: fc.constantFrom(...SEVERITIES),
      score: fc.double({ min: 0.1, max: 10, noNaN: true }),
      package: fc.constantFrom("openssl", "zlib", "glibc"),
      installedVersion: fc.constantFrom("1.0", "2.0"),
      fixedVersion: fc.constantFrom("1.1", "2.1"),
    },
    { requiredKeys: ["id", "severity"] },
  )
  .map((f) => f as Finding);

const entryArb: fc.Arbitrary<AllowlistEntry> = fc.record(
  {
    id: fc.constantFrom(...IDS).chain(anyCase),
    reason: fc.constant("accepted"),
    expires: fc.constantFrom(
      "2026-01-01",
      "2026-06-15",
      "2026-06-16",
      "2026-06-15T12:00:00Z",
      "2027-01-01T00:00:00+02:00",
    ),
    repositories: fc.constantFrom(["team-a/*"], ["team-b/**"], ["**"]),
  },
  { requiredKeys: ["id", "reason", "expires"] },
);

const gateArb: fc.Arbitrary<GatePolicy> = fc.record({
  blockAt: fc.option(fc.constantFrom(...GATE_SEVERITIES), { nil: undefined }),
  maxCounts: fc.option(
    fc.dictionary(fc.constantFrom(...SEVERITIES), fc.nat({ max: 4 }), { maxKeys: 3 }),
    { nil: undefined },
  ),
  ignoreUnfixed: fc.boolean(),
  minScore: fc.option(fc.double({ min: 0, max: 10, noNaN: true }), { nil: undefined }),
  requireScan: fc.boolean(),
  scanTimeoutMinutes: fc.nat({ max: 120 }),
  onFail: fc.constantFrom("alert" as const, "quarantine" as const),
});

const scanArb: fc.Arbitrary<ScanResult> = fc.record({
  status: fc.constantFrom("COMPLETE" as const),
  scanner: fc.constantFrom("trivy", "grype", "enhanced", "basic"),
  findings: fc.array(findingArb, { maxLength: 30 }),
});

function policy(gate: GatePolicy, allowlist: AllowlistEntry[]): ResolvedPolicy {
  return {
    version: "v",
    repository: REPO,
    matchedRules: [],
    gate,
    allowlist,
    audit: { retentionDays: 1 },
  };
}

const RAISE: Record<GateSeverity, GateSeverity | undefined> = {
  LOW: "MEDIUM",
  MEDIUM: "HIGH",
  HIGH: "CRITICAL",
  CRITICAL: undefined,
};

describe("severity gate properties", () => {
  it("adding an allowlist entry never turns a pass into a fail", () => {
    fc.assert(
      fc.property(
        scanArb,
        gateArb,
        fc.array(entryArb, { maxLength: 4 }),
        entryArb,
        fc.nat(),
        (scan, gate, list, extra, at) => {
          const before = evaluateGate({ scan, policy: policy(gate, list), now: NOW });
          const withExtra = [...list];
          withExtra.splice(at % (list.length + 1), 0, extra);
          const after = evaluateGate({ scan, policy: policy(gate, withExtra), now: NOW });
          if (before.verdict === "pass") expect(after.verdict).toBe("pass");
        },
      ),
    );
  });

  it("raising blockAt never turns a pass into a fail", () => {
    fc.assert(
      fc.property(scanArb, gateArb, fc.array(entryArb, { maxLength: 4 }), (scan, gate, list) => {
        if (!gate.blockAt) return;
        const raised: GatePolicy = { ...gate, blockAt: RAISE[gate.blockAt] };
        const before = evaluateGate({ scan, policy: policy(gate, list), now: NOW });
        const after = evaluateGate({ scan, policy: policy(raised, list), now: NOW });
        if (before.verdict === "pass") expect(after.verdict).toBe("pass");
      }),
    );
  });

  it("every blocking finding is at or above the threshold and not covered by a live allowlist entry", () => {
    fc.assert(
      fc.property(scanArb, gateArb, fc.array(entryArb, { maxLength: 4 }), (scan, gate, list) => {
        const v = evaluateGate({ scan, policy: policy(gate, list), now: NOW });
        const live = new Set(
          list
            .filter((e) => NOW.getTime() < allowlistExpiry(e.expires))
            .filter(
              (e) => !e.repositories || e.repositories.some((g) => g === "**" || g === "team-a/*"),
            )
            .map((e) => e.id.toLowerCase()),
        );
        for (const r of v.reasons) {
          if (r.rule === "requireScan") continue;
          for (const f of r.findings) {
            expect(live.has(f.id.toLowerCase())).toBe(false);
            if (r.rule === "blockAt")
              expect(severityRank(f.severity)).toBeGreaterThanOrEqual(severityRank(r.threshold));
            else expect(f.severity).toBe(r.severity);
          }
        }
      }),
    );
  });

  it("the verdict is fail exactly when there are reasons", () => {
    const anyScan = fc.option(
      fc.record({
        status: fc.constantFrom(
          "COMPLETE" as const,
          "IN_PROGRESS" as const,
          "FAILED" as const,
          "NONE" as const,
        ),
        scanner: fc.constant("basic"),
        findings: fc.array(findingArb, { maxLength: 10 }),
      }),
      { nil: null },
    );
    const pushedAt = fc.option(
      fc.date({ min: new Date("2026-06-15T10:00:00Z"), max: NOW, noInvalidDate: true }),
      { nil: undefined },
    );
    fc.assert(
      fc.property(
        anyScan,
        gateArb,
        fc.array(entryArb, { maxLength: 3 }),
        pushedAt,
        (scan, gate, list, pushed) => {
          const d = gateDecision({
            scan,
            policy: policy(gate, list),
            now: NOW,
            pushedAt: pushed?.toISOString(),
          });
          if (d.status === "pending") {
            expect(gate.requireScan).toBe(true);
            expect(Date.parse(d.retryAfter)).toBeGreaterThan(NOW.getTime());
            return;
          }
          expect(d.verdict.verdict === "fail").toBe(d.verdict.reasons.length > 0);
        },
      ),
    );
  });

  it("accounts for every finding exactly once, whatever order the scanner reported them in", () => {
    fc.assert(
      fc.property(scanArb, gateArb, fc.array(entryArb, { maxLength: 4 }), (scan, gate, list) => {
        const v = evaluateGate({ scan, policy: policy(gate, list), now: NOW });
        const sum = (c: Record<string, number>) => Object.values(c).reduce((a, b) => a + b, 0);
        const allowlisted = v.allowlisted.reduce((n, u) => n + u.findingIds.length, 0);
        expect(sum(v.counts) + allowlisted + v.ignored.unfixed + v.ignored.belowMinScore).toBe(
          scan.findings.length,
        );
        expect(sum(v.totalCounts)).toBe(scan.findings.length);
        const reversed = evaluateGate({
          scan: { ...scan, findings: [...scan.findings].reverse() },
          policy: policy(gate, list),
          now: NOW,
        });
        expect(reversed.reasons).toEqual(v.reasons);
        expect(reversed.counts).toEqual(v.counts);
        expect(reversed.allowlisted).toEqual(v.allowlisted);
        expect(reversed.expiredAllowlist).toEqual(v.expiredAllowlist);
      }),
    );
  });
});
