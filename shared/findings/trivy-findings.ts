import * as z from "zod";
import type { Finding, ScanResult } from "../domain/finding.ts";
import { normalizeSeverity } from "../domain/severity.ts";
import { bestScore, type ScoreCandidate } from "./best-score.ts";
import { compactFinding } from "./compact-finding.ts";
import { parseWith } from "./findings-format-error.ts";
import { isoTimestamp } from "./iso-timestamp.ts";

const cvssSchema = z.object({
  V2Score: z.number().optional(),
  V3Score: z.number().optional(),
  V40Score: z.number().optional(),
});

const vulnerabilitySchema = z.object({
  VulnerabilityID: z.string().min(1),
  PkgName: z.string().optional(),
  InstalledVersion: z.string().optional(),
  FixedVersion: z.string().optional(),
  Status: z.string().optional(),
  Severity: z.string().optional(),
  SeveritySource: z.string().optional(),
  CVSS: z.record(z.string(), cvssSchema).optional(),
  Title: z.string().optional(),
  PrimaryURL: z.string().optional(),
});

/** Trivy's JSON report (`trivy image --format json`), SchemaVersion 2: the fields we read. */
export const trivyReportSchema = z.object({
  SchemaVersion: z.literal(2, {
    error: "expected 2: Trivy 0.20 and later write SchemaVersion 2; upgrade Trivy and scan again",
  }),
  CreatedAt: z.string().optional(),
  ArtifactName: z.string().optional(),
  // omitempty in Trivy: a clean image has no Results, a clean target no Vulnerabilities.
  Results: z
    .array(
      z.object({
        Target: z.string().optional(),
        Vulnerabilities: z.array(vulnerabilitySchema).nullish(),
      }),
    )
    .nullish(),
});

type TrivyVulnerability = z.output<typeof vulnerabilitySchema>;

/**
 * Scores in preference order: the vendor Trivy took the severity from, then NVD, then the rest
 * by name; within each, bestScore prefers v3 over v4 over v2.
 */
function trivyScore(v: TrivyVulnerability): number | undefined {
  const cvss = v.CVSS ?? {};
  const sources = [v.SeveritySource, "nvd", ...Object.keys(cvss).sort()];
  const candidates: ScoreCandidate[] = [];
  for (const source of new Set(sources)) {
    const c = source === undefined ? undefined : cvss[source];
    if (!c) continue;
    candidates.push(
      { score: c.V3Score, version: "3" },
      { score: c.V40Score, version: "4.0" },
      { score: c.V2Score, version: "2" },
    );
  }
  return bestScore(candidates);
}

function fromTrivyVulnerability(v: TrivyVulnerability): Finding {
  return compactFinding({
    id: v.VulnerabilityID,
    severity: normalizeSeverity(v.Severity),
    score: trivyScore(v),
    package: v.PkgName,
    installedVersion: v.InstalledVersion,
    fixedVersion: v.FixedVersion?.trim(),
    title: v.Title,
    url: v.PrimaryURL,
  });
}

/**
 * A Trivy report → ScanResult (scanner "trivy"). A report is always a finished scan. Entries
 * Trivy marks not_affected (from VEX data) are not findings.
 */
export function parseTrivyReport(json: unknown): ScanResult {
  const report = parseWith(trivyReportSchema, json, "trivy");
  const findings: Finding[] = [];
  const completedAt = isoTimestamp(report.CreatedAt);
  for (const result of report.Results ?? []) {
    for (const v of result.Vulnerabilities ?? []) {
      if (v.Status?.toLowerCase() === "not_affected") continue;
      findings.push(fromTrivyVulnerability(v));
    }
  }
  return {
    status: "COMPLETE",
    scanner: "trivy",
    findings,
    ...(completedAt ? { completedAt } : {}),
  };
}
