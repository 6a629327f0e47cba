import * as z from "zod";
import type { ScanStatus } from "../../domain/finding.ts";
import { HARBOR_REPORT_MEDIA_TYPES } from "../../findings/harbor-findings.ts";

/*
 * The artifact as `GET …/artifacts/{digest}?with_scan_overview=true` returns it: only what
 * the scan client reads. `scan_overview` is keyed by report media type, each value Harbor's
 * NativeReportSummary; a scan that has not succeeded has `summary: null` and no scanner.
 */

const summarySchema = z.object({
  scan_status: z.string().nullish(),
  severity: z.string().nullish(),
  complete_percent: z.number().nullish(),
  end_time: z.string().nullish(),
  scanner: z.object({ name: z.string().nullish() }).nullish(),
  summary: z
    .object({
      total: z.number().nullish(),
      fixable: z.number().nullish(),
      summary: z.record(z.string(), z.number()).nullish(),
    })
    .nullish(),
});

export type HarborScanSummary = z.output<typeof summarySchema>;

export const harborArtifactSchema = z.object({
  digest: z.string(),
  scan_overview: z.record(z.string(), summarySchema).nullish(),
  // Harbor links the vulnerabilities addition only for artifacts its scanner can scan.
  addition_links: z.record(z.string(), z.unknown()).nullish(),
});

export type HarborArtifact = z.output<typeof harborArtifactSchema>;

/** The overview of the report type Harbor prefers (1.1, then 1.0, then whatever it sent). */
export function pickScanSummary(artifact: HarborArtifact): HarborScanSummary | undefined {
  const overview = artifact.scan_overview ?? {};
  for (const type of HARBOR_REPORT_MEDIA_TYPES) {
    const s = overview[type];
    if (s) return s;
  }
  return Object.values(overview)[0];
}

/** True when Harbor offers a vulnerabilities addition for the artifact, i.e. can scan it. */
export function isScannable(artifact: HarborArtifact): boolean {
  return artifact.addition_links?.vulnerabilities != null;
}

/**
 * Harbor's scan job status → ours. Success is the only finished scan. Error and Stopped are
 * final (Harbor starts no new scan by itself), so they map to FAILED and a gate that requires a
 * scan decides at once instead of waiting out the timeout. An unknown word is NONE, as for ECR.
 */
export function fromHarborScanStatus(status: string | null | undefined): ScanStatus {
  switch ((status ?? "").trim().toLowerCase()) {
    case "success":
      return "COMPLETE";
    case "pending":
    case "scheduled":
      return "PENDING";
    case "running":
      return "IN_PROGRESS";
    case "error":
    case "stopped":
      return "FAILED";
    default:
      return "NONE";
  }
}

/** Words for a scan that is not complete, for ScanResult.detail. */
export function harborScanDetail(s: HarborScanSummary): string {
  const raw = s.scan_status?.trim() || "missing";
  const status = `Harbor scan status ${raw}`;
  switch (fromHarborScanStatus(s.scan_status)) {
    case "IN_PROGRESS":
      return typeof s.complete_percent === "number"
        ? `${status} (${s.complete_percent}% complete)`
        : status;
    case "PENDING":
      return `${status}: waiting for a scan job`;
    case "FAILED":
      return raw.toLowerCase() === "stopped"
        ? `${status}: the scan was stopped before it finished; scan the artifact again in Harbor`
        : `${status}: the scan failed; see the scan log in Harbor and scan the artifact again`;
    default:
      return `${status}: not a status registry-guard knows`;
  }
}
