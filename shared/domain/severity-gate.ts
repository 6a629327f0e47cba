import type { Finding, ScanResult } from "./finding.ts";
import { indexAllowlist } from "./gate-allowlist.ts";
import { compareFindings } from "./gate-order.ts";
import { scanState } from "./gate-scan-state.ts";
import type { AllowlistEntry, ResolvedPolicy } from "./policy.ts";
import { atOrAbove, SEVERITIES, type Severity } from "./severity.ts";
import type { AllowlistUse, GateReason, GateVerdict } from "./verdict.ts";

export { summarizeVerdict } from "./gate-summary.ts";

export interface GateInput {
  /** The image's latest scan; null when there is none (or it cannot be read, e.g. archived). */
  scan: ScanResult | null;
  policy: ResolvedPolicy;
  /** When the image was pushed (ISO): starts the scan timeout. */
  pushedAt?: string;
  now: Date;
}

/** A verdict, or "not yet": no completed scan, but the scan timeout has not run out. */
export type GateDecision =
  | { status: "decided"; verdict: GateVerdict }
  | { status: "pending"; retryAfter: string };

/** evaluateGate was asked for a verdict the gate cannot give yet. */
export class GatePendingError extends Error {
  readonly code = "GATE_PENDING";
  readonly retryAfter: string;

  constructor(retryAfter: string) {
    super(
      `The scan has not completed and the scan timeout runs until ${retryAfter}: decide again then`,
    );
    this.name = "GatePendingError";
    this.retryAfter = retryAfter;
  }
}

/**
 * Scanners that never report fixed versions (ECR basic scanning). For them an absent
 * fixedVersion means "unknown", not "no fix", so ignoreUnfixed leaves their findings counted:
 * ignoring them would make the gate pass everything it cannot see a fix for, i.e. everything.
 */
const SCANNERS_WITHOUT_FIX_DATA = new Set(["basic"]);

function emptyCounts(): Record<Severity, number> {
  const counts = {} as Record<Severity, number>;
  for (const s of SEVERITIES) counts[s] = 0;
  return counts;
}

/**
 * The severity gate. Order of the rules, per finding: an allowlist entry that applies now
 * suppresses it; then ignoreUnfixed drops it when no fix is known; then minScore drops it when
 * its score is known and lower. What remains counts, and fails the gate through blockAt (any
 * counted finding at or above the threshold) or maxCounts (more of a severity than allowed).
 * Without a completed scan: with requireScan the gate waits until `scanTimeoutMinutes` after the
 * push and then fails; a FAILED or UNSUPPORTED scan fails at once (it will never complete), as
 * does a missing push time (the timeout cannot be measured). Without requireScan whatever the
 * scan holds is judged (usually nothing: a pass).
 */
export function gateDecision(input: GateInput): GateDecision {
  const { scan, policy, now } = input;
  const state = scanState(scan, policy.gate, input.pushedAt, now);
  if (state.kind === "pending") return { status: "pending", retryAfter: state.retryAfter };
  const verdict = judge(scan, policy, now);
  if (state.kind === "unscanned") {
    verdict.reasons.unshift({ rule: "requireScan", detail: state.detail });
    verdict.verdict = "fail";
  }
  return { status: "decided", verdict };
}

/** The gate's verdict; throws GatePendingError when gateDecision would say "pending". */
export function evaluateGate(input: GateInput): GateVerdict {
  const decision = gateDecision(input);
  if (decision.status === "pending") throw new GatePendingError(decision.retryAfter);
  return decision.verdict;
}

function judge(scan: ScanResult | null, policy: ResolvedPolicy, now: Date): GateVerdict {
  const { gate } = policy;
  const findings = scan?.findings ?? [];
  const allowlist = indexAllowlist(policy.allowlist, policy.repository, now);
  const applyUnfixed = gate.ignoreUnfixed && !SCANNERS_WITHOUT_FIX_DATA.has(scan?.scanner ?? "");
  const minScore = gate.minScore;

  const totalCounts = emptyCounts();
  const counts = emptyCounts();
  const used = new Map<AllowlistEntry, string[]>();
  const expired = new Map<AllowlistEntry, string[]>();
  const counted: Finding[] = [];
  let unfixed = 0;
  let belowMinScore = 0;

  for (const f of findings) {
    totalCounts[f.severity]++;
    const hit = allowlist.size > 0 ? allowlist.get(f.id.trim().toLowerCase()) : undefined;
    if (hit?.active) {
      record(used, hit.active, f.id);
      continue;
    }
    if (hit) for (const entry of hit.expired) record(expired, entry, f.id);
    if (applyUnfixed && !f.fixedVersion) {
      unfixed++;
      continue;
    }
    if (minScore !== undefined && f.score !== undefined && f.score < minScore) {
      belowMinScore++;
      continue;
    }
    counts[f.severity]++;
    counted.push(f);
  }

  const reasons: GateReason[] = [];
  if (gate.blockAt) {
    const threshold = gate.blockAt;
    const blocking = counted.filter((f) => atOrAbove(f.severity, threshold));
    if (blocking.length > 0)
      reasons.push({ rule: "blockAt", threshold, findings: blocking.sort(compareFindings) });
  }
  for (const severity of SEVERITIES) {
    const max = gate.maxCounts?.[severity];
    if (max === undefined || counts[severity] <= max) continue;
    const over = counted.filter((f) => f.severity === severity).sort(compareFindings);
    reasons.push({ rule: "maxCounts", severity, max, count: counts[severity], findings: over });
  }

  return {
    verdict: reasons.length > 0 ? "fail" : "pass",
    reasons,
    counts,
    totalCounts,
    allowlisted: inPolicyOrder(policy.allowlist, used),
    expiredAllowlist: inPolicyOrder(policy.allowlist, expired),
    ignored: { unfixed, belowMinScore },
    policyVersion: policy.version,
    evaluatedAt: now.toISOString(),
  };
}

function record(uses: Map<AllowlistEntry, string[]>, entry: AllowlistEntry, id: string): void {
  const ids = uses.get(entry);
  if (ids) ids.push(id);
  else uses.set(entry, [id]);
}

/** One use per entry, in the policy file's order, so reports read like the file. */
function inPolicyOrder(
  entries: readonly AllowlistEntry[],
  uses: Map<AllowlistEntry, string[]>,
): AllowlistUse[] {
  const out: AllowlistUse[] = [];
  for (const entry of entries) {
    const findingIds = uses.get(entry);
    if (findingIds) out.push({ entry, findingIds: findingIds.sort() });
  }
  return out;
}
