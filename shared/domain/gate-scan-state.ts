import type { ScanResult } from "./finding.ts";
import type { GatePolicy } from "./policy.ts";

/**
 * Whether the gate can judge findings now:
 * - judge: the scan is complete, or the policy does not require one;
 * - pending: no completed scan yet, still inside the scan timeout: decide later;
 * - unscanned: requireScan and no completed scan can be expected: the gate fails.
 */
export type ScanState =
  | { kind: "judge" }
  | { kind: "pending"; retryAfter: string }
  | { kind: "unscanned"; detail: string };

/** Statuses that waiting never turns into COMPLETE: with requireScan they fail at once. */
const TERMINAL = new Set(["FAILED", "UNSUPPORTED"]);

export function scanState(
  scan: ScanResult | null,
  gate: Pick<GatePolicy, "requireScan" | "scanTimeoutMinutes">,
  pushedAt: string | undefined,
  now: Date,
): ScanState {
  if (scan?.status === "COMPLETE" || !gate.requireScan) return { kind: "judge" };
  // The scanner's own words when it gave some (they name the status), else the status.
  const status = !scan ? "no scan" : scan.detail ? scan.detail : `scan status ${scan.status}`;
  if (scan && TERMINAL.has(scan.status)) {
    return {
      kind: "unscanned",
      detail: `${status}: this image will not be scanned, and requireScan is on`,
    };
  }
  const pushedMs = pushedAt === undefined ? Number.NaN : Date.parse(pushedAt);
  if (Number.isNaN(pushedMs)) {
    // Without a push time the timeout cannot be measured; waiting could last forever, so fail.
    return {
      kind: "unscanned",
      detail: `no completed scan (${status}) and the push time is unknown, so the ${gate.scanTimeoutMinutes}-minute scan timeout cannot be waited out`,
    };
  }
  const deadline = pushedMs + gate.scanTimeoutMinutes * 60_000;
  if (now.getTime() < deadline)
    return { kind: "pending", retryAfter: new Date(deadline).toISOString() };
  return {
    kind: "unscanned",
    detail: `no completed scan ${gate.scanTimeoutMinutes} minutes after the push at ${new Date(pushedMs).toISOString()} (${status})`,
  };
}
