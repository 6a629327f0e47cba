import type { Finding } from "./finding.ts";
import type { ImageRef } from "./image.ts";
import { SEVERITIES, type Severity, severityRank } from "./severity.ts";

/** Cuts a free-text value (scanner titles, allowlist reasons, principals) to `max` characters. */
export function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, Math.max(0, max - 3))}...`;
}

/** Control characters (other than newline) would corrupt an email body or a log line. */
export function printable(s: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
  return s.replace(/[\u0000-\u0009\u000b-\u001f\u007f]/g, " ");
}

/** sha256:abcd1234: enough to recognise an image in a subject line. */
export function shortDigest(digest: string): string {
  const [algo, hex] = digest.split(":");
  return hex ? `${algo}:${hex.slice(0, 8)}` : digest.slice(0, 15);
}

/** Most severe first, then highest score, then id: the order in which findings are kept. */
export function byImportance(a: Finding, b: Finding): number {
  return (
    severityRank(b.severity) - severityRank(a.severity) ||
    (b.score ?? -1) - (a.score ?? -1) ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  );
}

/** The `n` most important findings, in order, without sorting the whole list (it can be huge). */
export function topFindings(findings: readonly Finding[], n: number): Finding[] {
  const top: Finding[] = [];
  for (const f of findings) {
    if (top.length === n && byImportance(f, top[n - 1] as Finding) >= 0) continue;
    let i = top.length;
    while (i > 0 && byImportance(f, top[i - 1] as Finding) < 0) i--;
    top.splice(i, 0, f);
    if (top.length > n) top.pop();
  }
  return top;
}

/** "2 CRITICAL, 5 HIGH" — the non-zero counts, most severe first. */
export function countParts(counts: Record<Severity, number>): string[] {
  return SEVERITIES.filter((s) => (counts[s] ?? 0) > 0).map((s) => `${counts[s]} ${s}`);
}

/** The highest severity among `findings`, or "NONE". */
export function highestSeverity(findings: Iterable<Finding>): Severity | "NONE" {
  let best: Severity | "NONE" = "NONE";
  for (const f of findings) {
    if (best === "NONE" || severityRank(f.severity) > severityRank(best)) best = f.severity;
  }
  return best;
}

/** "CRITICAL  CVE-2024-1234  openssl 3.0.1 → 3.0.13  (score 9.8)". */
export function findingLine(f: Finding): string {
  const pkg = f.package
    ? `  ${clip(f.package, 80)} ${clip(f.installedVersion ?? "?", 60)} → ${clip(f.fixedVersion ?? "no fix", 60)}`
    : "";
  const score = f.score !== undefined ? `  (score ${f.score})` : "";
  return printable(`${f.severity.padEnd(8)}  ${clip(f.id, 80)}${pkg}${score}`);
}

/** The image's identity block shared by every alert text. */
export function imageLines(image: ImageRef): string[] {
  const where = `${image.registry} ${image.registryId}${image.region ? ` (${image.region})` : ""}`;
  const tags = image.tags.length
    ? `${image.tags
        .slice(0, 20)
        .map((t) => clip(t, 128))
        .join(", ")}${image.tags.length > 20 ? `, and ${image.tags.length - 20} more` : ""}`
    : "(untagged)";
  return [
    `Repository  ${image.repository}`,
    `Registry    ${where}`,
    `Digest      ${image.digest}`,
    `Tags        ${tags}`,
  ];
}

/** The image as it appears in every alert's JSON (tags capped: an image may carry many). */
export function imageJson(image: ImageRef, key: string): Record<string, unknown> {
  return {
    key,
    registry: image.registry,
    registryId: image.registryId,
    ...(image.region ? { region: image.region } : {}),
    repository: image.repository,
    digest: image.digest,
    tags: image.tags.slice(0, 100).map((t) => clip(t, 128)),
  };
}
