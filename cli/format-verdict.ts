import type { Finding } from "../shared/domain/finding.ts";
import type { ResolvedPolicy } from "../shared/domain/policy.ts";
import type { GateReason, GateVerdict } from "../shared/domain/verdict.ts";

const MAX_LISTED = 20;

function findingLine(f: Finding): string {
  const pkg = f.package
    ? ` ${f.package} ${f.installedVersion ?? "?"} → ${f.fixedVersion ?? "no fix"}`
    : "";
  const score = f.score !== undefined ? ` (score ${f.score})` : "";
  return `    ${f.id} ${f.severity}${pkg}${score}`;
}

function reasonLines(r: GateReason): string[] {
  switch (r.rule) {
    case "blockAt":
      return [
        `  blockAt ${r.threshold}: ${r.findings.length} finding(s) at or above`,
        ...listed(r.findings),
      ];
    case "maxCounts":
      return [`  maxCounts ${r.severity}: ${r.count} > ${r.max}`, ...listed(r.findings)];
    case "requireScan":
      return [`  requireScan: ${r.detail}`];
  }
}

function listed(findings: Finding[]): string[] {
  const lines = findings.slice(0, MAX_LISTED).map(findingLine);
  if (findings.length > MAX_LISTED)
    lines.push(`    … and ${findings.length - MAX_LISTED} more (use --json for all)`);
  return lines;
}

/** The human-readable explanation of a verdict: what blocked, what was allowlisted, what expired. */
export function formatVerdict(v: GateVerdict, policy: ResolvedPolicy): string {
  const rules = policy.matchedRules.length ? policy.matchedRules.join(", ") : "defaults only";
  const counts = Object.entries(v.counts)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`)
    .join(", ");
  const lines = [
    `${v.verdict.toUpperCase()}  ${policy.repository}  (policy ${v.policyVersion}; rules: ${rules})`,
    `  counted findings: ${counts || "none"}; ignored: ${v.ignored.unfixed} unfixed, ${v.ignored.belowMinScore} below minScore`,
    ...v.reasons.flatMap(reasonLines),
  ];
  for (const u of v.allowlisted) {
    lines.push(
      `  allowlisted ${u.entry.id} until ${u.entry.expires}: ${u.entry.reason} (${u.findingIds.length} finding(s))`,
    );
  }
  for (const u of v.expiredAllowlist) {
    lines.push(
      `  EXPIRED allowlist entry ${u.entry.id} (expired ${u.entry.expires}) no longer applies: renew or remove it`,
    );
  }
  return lines.join("\n");
}

/** The stable JSON form of a gate result (documented in docs/cli.md). */
export function verdictJson(v: GateVerdict, policy: ResolvedPolicy): Record<string, unknown> {
  return {
    schemaVersion: 1,
    verdict: v.verdict,
    repository: policy.repository,
    policyVersion: v.policyVersion,
    matchedRules: policy.matchedRules,
    reasons: v.reasons,
    counts: v.counts,
    totalCounts: v.totalCounts,
    allowlisted: v.allowlisted,
    expiredAllowlist: v.expiredAllowlist,
    ignored: v.ignored,
    evaluatedAt: v.evaluatedAt,
  };
}
