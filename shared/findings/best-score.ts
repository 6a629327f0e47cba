/** One score a scanner states for a finding, with the CVSS version it was computed under. */
export interface ScoreCandidate {
  score: number | null | undefined;
  version?: string | null | undefined;
}

/**
 * CVSS v3.x first: it is what every scanner reports and what minScore thresholds are usually
 * written against; v4 next; v2 last (its scores run lower for the same flaw).
 */
function versionRank(version: string | null | undefined): number {
  const v = (version ?? "").trim().replace(/^cvss:?/i, "");
  if (v.startsWith("3")) return 3;
  if (v.startsWith("4")) return 2;
  if (v.startsWith("2")) return 1;
  return 0;
}

/**
 * A usable score: finite and above zero. Zero is how Go scanners (Trivy, Grype) and the AWS SDK
 * spell "not scored", so it counts as unknown; an unknown score never lets minScore ignore a
 * finding.
 */
export function usableScore(score: number | null | undefined): number | undefined {
  return typeof score === "number" && Number.isFinite(score) && score > 0 ? score : undefined;
}

/**
 * The preferred score among candidates: the best CVSS version wins; among equals, the first
 * (callers list candidates in their preferred source order).
 */
export function bestScore(candidates: Iterable<ScoreCandidate>): number | undefined {
  let best: number | undefined;
  let bestRank = -1;
  for (const c of candidates) {
    const score = usableScore(c.score);
    if (score === undefined) continue;
    const rank = versionRank(c.version);
    if (rank > bestRank) {
      best = score;
      bestRank = rank;
    }
  }
  return best;
}
