/** Severities, most severe first. ECR basic, Inspector, Trivy and Grype all map onto these. */
export const SEVERITIES = [
  "CRITICAL",
  "HIGH",
  "MEDIUM",
  "LOW",
  "INFORMATIONAL",
  "UNKNOWN",
] as const;
export type Severity = (typeof SEVERITIES)[number];

/** The severities a gate threshold may name. */
export const GATE_SEVERITIES = ["CRITICAL", "HIGH", "MEDIUM", "LOW"] as const;
export type GateSeverity = (typeof GATE_SEVERITIES)[number];

const RANK: Record<Severity, number> = {
  CRITICAL: 5,
  HIGH: 4,
  MEDIUM: 3,
  LOW: 2,
  INFORMATIONAL: 1,
  UNKNOWN: 0,
};

/** Higher is more severe. */
export function severityRank(s: Severity): number {
  return RANK[s];
}

export function atOrAbove(s: Severity, threshold: Severity): boolean {
  return RANK[s] >= RANK[threshold];
}

/**
 * Maps a scanner's severity word onto ours. ECR basic uses UNDEFINED, Inspector UNTRIAGED,
 * Grype Negligible, Trivy UNKNOWN; anything unrecognised is UNKNOWN rather than an error, so a
 * new scanner word never silently passes as LOW.
 */
export function normalizeSeverity(raw: string | undefined | null): Severity {
  switch ((raw ?? "").trim().toUpperCase()) {
    case "CRITICAL":
      return "CRITICAL";
    case "HIGH":
      return "HIGH";
    case "MEDIUM":
    case "MODERATE":
      return "MEDIUM";
    case "LOW":
      return "LOW";
    case "INFORMATIONAL":
    case "INFO":
    case "NEGLIGIBLE":
      return "INFORMATIONAL";
    default:
      return "UNKNOWN";
  }
}
