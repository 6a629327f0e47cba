import type { Finding } from "./finding.ts";
import type { GateReason, GateVerdict } from "./verdict.ts";

/** Findings named per reason: enough to act on, short enough for an audit record or a subject. */
const MAX_NAMED = 3;

function describeFinding(f: Finding): string {
  const pkg = f.package
    ? ` ${f.package} ${f.installedVersion ?? "?"}→${f.fixedVersion ?? "no fix"}`
    : "";
  return `${f.id} ${f.severity}${pkg}`;
}

function named(findings: readonly Finding[]): string {
  const shown = findings.slice(0, MAX_NAMED).map(describeFinding);
  if (findings.length > MAX_NAMED) shown.push("…");
  return shown.join(", ");
}

function plural(n: number): string {
  return `${n} finding${n === 1 ? "" : "s"}`;
}

function summarizeReason(r: GateReason): string {
  switch (r.rule) {
    case "blockAt":
      return `blockAt ${r.threshold}: ${plural(r.findings.length)} (${named(r.findings)})`;
    case "maxCounts":
      return `maxCounts ${r.severity}: ${r.count} > ${r.max} (${named(r.findings)})`;
    case "requireScan":
      return `requireScan: ${r.detail}`;
  }
}

/**
 * One short line per reason the gate failed, e.g.
 * `blockAt HIGH: 3 findings (CVE-2024-1 CRITICAL openssl 3.0.1→3.0.2, …)`. Empty for a pass.
 */
export function summarizeVerdict(v: GateVerdict): string[] {
  return v.reasons.map(summarizeReason);
}
