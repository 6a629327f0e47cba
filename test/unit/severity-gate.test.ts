import { describe, expect, it } from "vitest";
import type { Finding, ScanResult } from "../../shared/domain/finding.ts";
import { allowlistExpiry } from "../../shared/domain/gate-allowlist.ts";
import type { AllowlistEntry, GatePolicy, ResolvedPolicy } from "../../shared/domain/policy.ts";
import {
  evaluateGate,
  GatePendingError,
  gateDecision,
  summarizeVerdict,
} from "../../shared/domain/severity-gate.ts";

const NOW = new Date("2026-06-15T12:00:00Z");

function policy(
  gate: Partial<GatePolicy> = {},
  allowlist: AllowlistEntry[] = [],
  repository = "team-a/api",
): ResolvedPolicy {
  return {
    version: "p-1",
    repository,
    matchedRules: [],
    gate: {
      blockAt: "HIGH",
      ignoreUnfixed: false,
      requireScan: true,
      scanTimeoutMinutes: 30,
      onFail: "alert",
      ...gate,
    },
    allowlist,
    audit: { retentionDays: 400 },
  };
}

function scan(findings: Finding[], over: Partial<ScanResult> = {}): ScanResult {
  return { status: "COMPLETE", scanner: "trivy", findings, ...over };
}

const f = (id: string, severity: Finding["severity"], extra: Partial<Finding> = {}): Finding => ({
  id,
  severity,
  package: "pkg",
  installedVersion: "1.0",
  fixedVersion: "1.1",
  ...extra,
});

function entry(id: string, expires: string, repositories?: string[]): AllowlistEntry {
  return { id, reason: "accepted", expires, ...(repositories ? { repositories } : {}) };
}

describe("blockAt", () => {
  it("fails on a counted finding at the threshold and lists exactly those at or above it", () => {
    const v = evaluateGate({
      scan: scan([
        f("CVE-3", "MEDIUM"),
        f("CVE-2", "HIGH"),
        f("CVE-1", "CRITICAL"),
        f("CVE-4", "LOW"),
      ]),
      policy: policy({ blockAt: "HIGH" }),
      now: NOW,
    });
    expect(v.verdict).toBe("fail");
    expect(v.reasons).toHaveLength(1);
    const r = v.reasons[0];
    expect(r?.rule).toBe("blockAt");
    if (r?.rule !== "blockAt") throw new Error("unreachable");
    expect(r.threshold).toBe("HIGH");
    expect(r.findings.map((x) => x.id)).toEqual(["CVE-1", "CVE-2"]);
  });

  it("passes when everything is below the threshold", () => {
    const v = evaluateGate({
      scan: scan([f("CVE-3", "MEDIUM"), f("CVE-5", "UNKNOWN")]),
      policy: policy({ blockAt: "HIGH" }),
      now: NOW,
    });
    expect(v.verdict).toBe("pass");
    expect(v.reasons).toEqual([]);
    expect(v.counts).toMatchObject({ MEDIUM: 1, UNKNOWN: 1, HIGH: 0 });
  });

  it("orders blocking findings by severity, then id, then package", () => {
    const v = evaluateGate({
      scan: scan([
        f("CVE-9", "HIGH", { package: "b" }),
        f("CVE-9", "HIGH", { package: "a" }),
        f("CVE-10", "HIGH"),
        f("CVE-99", "CRITICAL"),
      ]),
      policy: policy({ blockAt: "HIGH" }),
      now: NOW,
    });
    const r = v.reasons[0];
    if (r?.rule !== "blockAt") throw new Error("expected blockAt");
    expect(r.findings.map((x) => `${x.id}/${x.package}`)).toEqual([
      "CVE-99/pkg",
      "CVE-10/pkg",
      "CVE-9/a",
      "CVE-9/b",
    ]);
  });
});

describe("maxCounts", () => {
  it("fails for each severity whose count exceeds its maximum, with those findings", () => {
    const findings = [
      f("M1", "MEDIUM"),
      f("M2", "MEDIUM"),
      f("M3", "MEDIUM"),
      f("L1", "LOW"),
      f("C1", "CRITICAL"),
    ];
    const v = evaluateGate({
      scan: scan(findings),
      policy: policy({ blockAt: undefined, maxCounts: { MEDIUM: 2, LOW: 1, CRITICAL: 0 } }),
      now: NOW,
    });
    expect(v.verdict).toBe("fail");
    expect(v.reasons).toEqual([
      { rule: "maxCounts", severity: "CRITICAL", max: 0, count: 1, findings: [findings[4]] },
      {
        rule: "maxCounts",
        severity: "MEDIUM",
        max: 2,
        count: 3,
        findings: [findings[0], findings[1], findings[2]],
      },
    ]);
  });

  it("passes at exactly the maximum", () => {
    const v = evaluateGate({
      scan: scan([f("H1", "HIGH")]),
      policy: policy({ blockAt: undefined, maxCounts: { HIGH: 1 } }),
      now: NOW,
    });
    expect(v.verdict).toBe("pass");
  });

  it("reports blockAt before maxCounts", () => {
    const v = evaluateGate({
      scan: scan([f("H1", "HIGH"), f("H2", "HIGH")]),
      policy: policy({ blockAt: "CRITICAL", maxCounts: { HIGH: 1 } }),
      now: NOW,
    });
    expect(v.reasons.map((r) => r.rule)).toEqual(["maxCounts"]);
    const both = evaluateGate({
      scan: scan([f("H1", "HIGH"), f("H2", "HIGH")]),
      policy: policy({ blockAt: "HIGH", maxCounts: { HIGH: 1 } }),
      now: NOW,
    });
    expect(both.reasons.map((r) => r.rule)).toEqual(["blockAt", "maxCounts"]);
  });
});

describe("ignoreUnfixed", () => {
  const findings = [f("CVE-1", "CRITICAL", { fixedVersion: undefined }), f("CVE-2", "HIGH")];

  it("does not count findings without a fixed version, and says how many", () => {
    const v = evaluateGate({
      scan: scan(findings),
      policy: policy({ ignoreUnfixed: true }),
      now: NOW,
    });
    expect(v.ignored.unfixed).toBe(1);
    expect(v.counts.CRITICAL).toBe(0);
    expect(v.totalCounts.CRITICAL).toBe(1);
    const r = v.reasons[0];
    if (r?.rule !== "blockAt") throw new Error("expected blockAt");
    expect(r.findings.map((x) => x.id)).toEqual(["CVE-2"]);
  });

  it("counts them when off", () => {
    const v = evaluateGate({
      scan: scan(findings),
      policy: policy({ ignoreUnfixed: false }),
      now: NOW,
    });
    expect(v.ignored.unfixed).toBe(0);
    expect(v.counts.CRITICAL).toBe(1);
  });

  it("counts every ECR basic finding: that scanner never reports a fix, so unknown is not 'no fix'", () => {
    const basic = scan([f("CVE-1", "CRITICAL", { fixedVersion: undefined })], { scanner: "basic" });
    const v = evaluateGate({ scan: basic, policy: policy({ ignoreUnfixed: true }), now: NOW });
    expect(v.verdict).toBe("fail");
    expect(v.ignored.unfixed).toBe(0);
  });
});

describe("minScore", () => {
  it("ignores findings with a known score below it, never those without a score", () => {
    const findings = [
      f("LOWSCORE", "HIGH", { score: 3.9 }),
      f("NOSCORE", "HIGH"),
      f("AT", "HIGH", { score: 4 }),
    ];
    const v = evaluateGate({ scan: scan(findings), policy: policy({ minScore: 4 }), now: NOW });
    expect(v.ignored.belowMinScore).toBe(1);
    const r = v.reasons[0];
    if (r?.rule !== "blockAt") throw new Error("expected blockAt");
    expect(r.findings.map((x) => x.id)).toEqual(["AT", "NOSCORE"]);
  });

  it("applies after ignoreUnfixed: a finding is ignored once", () => {
    const v = evaluateGate({
      scan: scan([f("X", "HIGH", { score: 1, fixedVersion: undefined })]),
      policy: policy({ minScore: 4, ignoreUnfixed: true }),
      now: NOW,
    });
    expect(v.ignored).toEqual({ unfixed: 1, belowMinScore: 0 });
  });
});

describe("allowlist", () => {
  it("suppresses a finding whose id matches case-insensitively, and reports every use", () => {
    const e = entry("cve-2024-1", "2026-12-31");
    const v = evaluateGate({
      scan: scan([
        f("CVE-2024-1", "CRITICAL", { package: "a" }),
        f("CVE-2024-1", "CRITICAL", { package: "b" }),
        f("CVE-2024-2", "LOW"),
      ]),
      policy: policy({}, [e]),
      now: NOW,
    });
    expect(v.verdict).toBe("pass");
    expect(v.allowlisted).toEqual([{ entry: e, findingIds: ["CVE-2024-1", "CVE-2024-1"] }]);
    expect(v.expiredAllowlist).toEqual([]);
    expect(v.counts.CRITICAL).toBe(0);
    expect(v.totalCounts.CRITICAL).toBe(2);
  });

  it("an expired entry does not suppress, and is reported as expired", () => {
    const e = entry("CVE-2024-1", "2026-06-01");
    const v = evaluateGate({
      scan: scan([f("CVE-2024-1", "CRITICAL")]),
      policy: policy({}, [e]),
      now: NOW,
    });
    expect(v.verdict).toBe("fail");
    expect(v.allowlisted).toEqual([]);
    expect(v.expiredAllowlist).toEqual([{ entry: e, findingIds: ["CVE-2024-1"] }]);
  });

  it("a date-only expiry stops applying at 00:00 UTC of that date", () => {
    expect(allowlistExpiry("2026-06-15")).toBe(Date.parse("2026-06-15T00:00:00Z"));
    const e = entry("CVE-1", "2026-06-15");
    const just = (iso: string) =>
      evaluateGate({
        scan: scan([f("CVE-1", "HIGH")]),
        policy: policy({}, [e]),
        now: new Date(iso),
      }).verdict;
    expect(just("2026-06-14T23:59:59.999Z")).toBe("pass");
    expect(just("2026-06-15T00:00:00.000Z")).toBe("fail");
  });

  it("a date-time expiry stops applying at that instant, zone included", () => {
    const e = entry("CVE-1", "2026-06-15T14:00:00+02:00");
    const at = (iso: string) =>
      evaluateGate({
        scan: scan([f("CVE-1", "HIGH")]),
        policy: policy({}, [e]),
        now: new Date(iso),
      }).verdict;
    expect(at("2026-06-15T11:59:59Z")).toBe("pass");
    expect(at("2026-06-15T12:00:00Z")).toBe("fail");
    expect(allowlistExpiry("2026-06-15T12:00:00")).toBe(Date.parse("2026-06-15T12:00:00Z"));
    expect(Number.isNaN(allowlistExpiry("next tuesday"))).toBe(true);
  });

  it("an entry scoped to other repositories does not apply", () => {
    const scoped = entry("CVE-1", "2027-01-01", ["team-b/*"]);
    const other = evaluateGate({
      scan: scan([f("CVE-1", "HIGH")]),
      policy: policy({}, [scoped], "team-a/api"),
      now: NOW,
    });
    expect(other.verdict).toBe("fail");
    expect(other.allowlisted).toEqual([]);
    const own = evaluateGate({
      scan: scan([f("CVE-1", "HIGH")]),
      policy: policy({}, [scoped], "team-b/api"),
      now: NOW,
    });
    expect(own.verdict).toBe("pass");
  });

  it("an active entry wins over an expired one for the same id; the first active one is used", () => {
    const old = entry("CVE-1", "2026-01-01");
    const first = entry("CVE-1", "2027-01-01");
    const second = entry("CVE-1", "2028-01-01");
    const v = evaluateGate({
      scan: scan([f("CVE-1", "HIGH")]),
      policy: policy({}, [old, first, second]),
      now: NOW,
    });
    expect(v.verdict).toBe("pass");
    expect(v.allowlisted).toEqual([{ entry: first, findingIds: ["CVE-1"] }]);
    expect(v.expiredAllowlist).toEqual([]);
  });

  it("is applied before ignoreUnfixed and minScore", () => {
    const e = entry("CVE-1", "2027-01-01");
    const v = evaluateGate({
      scan: scan([f("CVE-1", "HIGH", { fixedVersion: undefined, score: 1 })]),
      policy: policy({ ignoreUnfixed: true, minScore: 5 }, [e]),
      now: NOW,
    });
    expect(v.allowlisted).toHaveLength(1);
    expect(v.ignored).toEqual({ unfixed: 0, belowMinScore: 0 });
  });
});

describe("requireScan and the scan timeout", () => {
  const pushedAt = "2026-06-15T11:45:00Z"; // 15 minutes before NOW
  const inProgress = scan([], { status: "IN_PROGRESS", scanner: "basic" });

  it("is pending inside the timeout, with the instant to decide again", () => {
    const d = gateDecision({
      scan: inProgress,
      policy: policy({ scanTimeoutMinutes: 30 }),
      pushedAt,
      now: NOW,
    });
    expect(d).toEqual({ status: "pending", retryAfter: "2026-06-15T12:15:00.000Z" });
    expect(() =>
      evaluateGate({ scan: null, policy: policy({ scanTimeoutMinutes: 30 }), pushedAt, now: NOW }),
    ).toThrow(GatePendingError);
  });

  it("fails once the timeout has run out (at exactly the deadline too)", () => {
    for (const minutes of [15, 10]) {
      const d = gateDecision({
        scan: null,
        policy: policy({ scanTimeoutMinutes: minutes }),
        pushedAt,
        now: NOW,
      });
      if (d.status !== "decided") throw new Error("expected a decision");
      expect(d.verdict.verdict).toBe("fail");
      expect(d.verdict.reasons[0]).toEqual({
        rule: "requireScan",
        detail: `no completed scan ${minutes} minutes after the push at 2026-06-15T11:45:00.000Z (no scan)`,
      });
    }
  });

  it("fails at once for a FAILED or UNSUPPORTED scan: it will never complete", () => {
    for (const status of ["FAILED", "UNSUPPORTED"] as const) {
      const failed = scan([], { status, scanner: "basic", detail: `ECR scan status ${status}` });
      const v = evaluateGate({
        scan: failed,
        policy: policy({ scanTimeoutMinutes: 600 }),
        pushedAt,
        now: NOW,
      });
      expect(v.verdict).toBe("fail");
      expect(v.reasons).toEqual([
        {
          rule: "requireScan",
          detail: `ECR scan status ${status}: this image will not be scanned, and requireScan is on`,
        },
      ]);
    }
  });

  it("fails at once when the push time is unknown or unreadable", () => {
    for (const p of [undefined, "yesterday"]) {
      const v = evaluateGate({ scan: inProgress, policy: policy(), pushedAt: p, now: NOW });
      expect(v.verdict).toBe("fail");
      expect(v.reasons[0]?.rule).toBe("requireScan");
    }
  });

  it("without requireScan, a missing or failed scan passes with no findings", () => {
    for (const s of [null, scan([], { status: "FAILED" }), inProgress]) {
      const v = evaluateGate({ scan: s, policy: policy({ requireScan: false }), now: NOW });
      expect(v.verdict).toBe("pass");
      expect(v.reasons).toEqual([]);
      expect(Object.values(v.totalCounts).every((n) => n === 0)).toBe(true);
    }
  });

  it("a completed scan is judged whatever the push time", () => {
    const v = evaluateGate({
      scan: scan([f("CVE-1", "HIGH")]),
      policy: policy(),
      pushedAt: "2026-06-15T11:59:00Z",
      now: NOW,
    });
    expect(v.verdict).toBe("fail");
    expect(v.reasons.map((r) => r.rule)).toEqual(["blockAt"]);
  });
});

describe("verdict bookkeeping", () => {
  it("records the policy version and the evaluation time", () => {
    const v = evaluateGate({ scan: scan([]), policy: policy(), now: NOW });
    expect(v.policyVersion).toBe("p-1");
    expect(v.evaluatedAt).toBe(NOW.toISOString());
  });
});

describe("summarizeVerdict", () => {
  it("gives one short line per reason, naming at most three findings", () => {
    const findings = [
      f("CVE-2024-1", "CRITICAL", {
        package: "openssl",
        installedVersion: "3.0.1",
        fixedVersion: "3.0.2",
      }),
      f("CVE-2024-2", "HIGH", {
        package: "zlib",
        installedVersion: "1.2",
        fixedVersion: undefined,
      }),
      f("CVE-2024-3", "HIGH"),
      f("CVE-2024-4", "HIGH"),
      f("CVE-2024-5", "MEDIUM"),
      f("CVE-2024-6", "MEDIUM"),
    ];
    const v = evaluateGate({
      scan: scan(findings),
      policy: policy({ blockAt: "HIGH", maxCounts: { MEDIUM: 1 } }),
      now: NOW,
    });
    expect(summarizeVerdict(v)).toEqual([
      "blockAt HIGH: 4 findings (CVE-2024-1 CRITICAL openssl 3.0.1→3.0.2, CVE-2024-2 HIGH zlib 1.2→no fix, CVE-2024-3 HIGH pkg 1.0→1.1, …)",
      "maxCounts MEDIUM: 2 > 1 (CVE-2024-5 MEDIUM pkg 1.0→1.1, CVE-2024-6 MEDIUM pkg 1.0→1.1)",
    ]);
  });

  it("is empty for a pass and explains requireScan", () => {
    expect(summarizeVerdict(evaluateGate({ scan: scan([]), policy: policy(), now: NOW }))).toEqual(
      [],
    );
    const v = evaluateGate({
      scan: null,
      policy: policy({ scanTimeoutMinutes: 5 }),
      pushedAt: "2026-06-15T00:00:00Z",
      now: NOW,
    });
    expect(summarizeVerdict(v)).toEqual([
      "requireScan: no completed scan 5 minutes after the push at 2026-06-15T00:00:00.000Z (no scan)",
    ]);
    const one = evaluateGate({
      scan: scan([{ id: "GHSA-1", severity: "HIGH" }]),
      policy: policy(),
      now: NOW,
    });
    expect(summarizeVerdict(one)).toEqual(["blockAt HIGH: 1 finding (GHSA-1 HIGH)"]);
  });
});
