import type { Finding } from "./finding.ts";
import { severityRank } from "./severity.ts";

function cmp(a: string | undefined, b: string | undefined): number {
  const x = a ?? "";
  const y = b ?? "";
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Higher score first; an unknown score after every known one. */
function byScore(a: number | undefined, b: number | undefined): number {
  return (b ?? Number.NEGATIVE_INFINITY) - (a ?? Number.NEGATIVE_INFINITY) || 0;
}

/**
 * Most severe first, then by id, package and versions, then score, title and url, so only
 * identical findings tie: the same findings always list in the same order, whatever order the
 * scanner reported them in. Plain code-unit comparison, not localeCompare, so the order does not
 * depend on the machine's locale.
 */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    severityRank(b.severity) - severityRank(a.severity) ||
    cmp(a.id, b.id) ||
    cmp(a.package, b.package) ||
    cmp(a.installedVersion, b.installedVersion) ||
    cmp(a.fixedVersion, b.fixedVersion) ||
    byScore(a.score, b.score) ||
    cmp(a.title, b.title) ||
    cmp(a.url, b.url)
  );
}
