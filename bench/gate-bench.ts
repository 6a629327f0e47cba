// The severity gate on one image with 5,000 findings and 200 allowlist entries (goal: median < 5 ms).
import type { Finding } from "../shared/domain/finding.ts";
import type { AllowlistEntry, ResolvedPolicy } from "../shared/domain/policy.ts";
import { SEVERITIES } from "../shared/domain/severity.ts";
import { evaluateGate } from "../shared/domain/severity-gate.ts";
import { fmt, heading, median, percentile, row } from "./bench-util.ts";

const NOW = new Date("2026-06-15T12:00:00Z");

export function gateBench(): void {
  heading("Severity gate: 5,000 findings, 200 allowlist entries (goal: median < 5 ms)");
  const findings: Finding[] = Array.from({ length: 5000 }, (_, i) => ({
    id: `CVE-2024-${String(i % 1500).padStart(5, "0")}`,
    severity: SEVERITIES[i % SEVERITIES.length] ?? "LOW",
    score: (i % 100) / 10,
    package: `pkg-${i % 300}`,
    installedVersion: "1.0.0",
    ...(i % 3 === 0 ? {} : { fixedVersion: "1.0.1" }),
  }));
  const allowlist: AllowlistEntry[] = Array.from({ length: 200 }, (_, i) => ({
    id: `cve-2024-${String(i * 7).padStart(5, "0")}`,
    reason: "accepted",
    expires: i % 2 ? "2027-01-01" : "2026-01-01",
    ...(i % 5 === 0 ? { repositories: ["team-a/**"] } : {}),
  }));
  const policy: ResolvedPolicy = {
    version: "bench",
    repository: "team-a/api",
    matchedRules: [],
    gate: {
      blockAt: "HIGH",
      maxCounts: { MEDIUM: 10 },
      ignoreUnfixed: true,
      minScore: 2,
      requireScan: true,
      scanTimeoutMinutes: 30,
      onFail: "alert",
    },
    allowlist,
    audit: { retentionDays: 400 },
  };
  const scan = { status: "COMPLETE" as const, scanner: "trivy", findings };
  for (let i = 0; i < 20; i++) evaluateGate({ scan, policy, now: NOW });
  const times: number[] = [];
  let failed = 0;
  for (let i = 0; i < 200; i++) {
    const t0 = performance.now();
    const v = evaluateGate({ scan, policy, now: NOW });
    times.push(performance.now() - t0);
    if (v.verdict === "fail") failed++;
  }
  row("median", `${fmt(median(times), 3)} ms`);
  row("p95", `${fmt(percentile(times, 95), 3)} ms`);
  row("verdicts", `${failed}/200 fail (expected 200: the input has HIGH findings)`);
}
