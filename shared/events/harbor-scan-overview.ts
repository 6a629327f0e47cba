import type { HarborResource } from "./harbor-payload.ts";

/**
 * The severity counts a Harbor scan event reports for one artifact, from its `scan_overview`
 * (keyed by report media type; Harbor asks for its native and the generic vulnerability report,
 * and an artifact has one of them). Harbor's severity words (Critical, High, Medium, Low,
 * Negligible, Unknown, None) are upper-cased to match the other sources' count keys; the totals
 * are dropped (not severities). Undefined when no report carries a summary: a failed or stopped
 * scan has `summary: null`.
 */
export function harborReportedCounts(res: HarborResource): Record<string, number> | undefined {
  for (const report of Object.values(res.scan_overview ?? {})) {
    const bySeverity = report.summary?.summary;
    if (!bySeverity) continue;
    const counts: Record<string, number> = {};
    for (const [severity, n] of Object.entries(bySeverity)) {
      const key = severity.toUpperCase();
      counts[key] = (counts[key] ?? 0) + n;
    }
    return counts;
  }
  return undefined;
}
