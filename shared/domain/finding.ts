import type { Severity } from "./severity.ts";

/** One vulnerability in one package of an image, whatever scanner reported it. */
export interface Finding {
  /** CVE-…, GHSA-…, ALAS-… as the scanner names it. */
  id: string;
  severity: Severity;
  /** CVSS base score or Inspector score, when the scanner gives one. */
  score?: number;
  package?: string;
  installedVersion?: string;
  /** Absent when no fix is known: `ignoreUnfixed` skips such findings. */
  fixedVersion?: string;
  title?: string;
  url?: string;
}

/** What a registry or a report knows about an image's scan. */
export type ScanStatus = "COMPLETE" | "IN_PROGRESS" | "PENDING" | "FAILED" | "UNSUPPORTED" | "NONE";

export interface ScanResult {
  status: ScanStatus;
  /** basic (ECR/Clair), enhanced (Inspector), or the report's scanner (trivy, grype). */
  scanner: string;
  completedAt?: string;
  findings: Finding[];
  /** Human-readable detail when the status is not COMPLETE (e.g. ECR's FAILED description). */
  detail?: string;
}
