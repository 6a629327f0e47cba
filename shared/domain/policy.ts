import type { GateSeverity, Severity } from "./severity.ts";

/**
 * The effective policy for one repository, after `defaults` and every matching `repositories`
 * override have been merged (see policy-resolve.ts). This is what the gate and the pipeline read.
 */
export interface GatePolicy {
  /** Block when any counted finding is at or above this severity. */
  blockAt?: GateSeverity;
  /** Block when a severity's count exceeds its maximum (Harbor-style "at most N HIGH"). */
  maxCounts?: Partial<Record<Severity, number>>;
  /** Findings without a fixed version do not count. */
  ignoreUnfixed: boolean;
  /** Findings whose score is known and below this do not count. */
  minScore?: number;
  /** An image whose scan has not completed `scanTimeoutMinutes` after push fails the gate. */
  requireScan: boolean;
  scanTimeoutMinutes: number;
  onFail: "alert" | "quarantine";
}

export interface AllowlistEntry {
  /** CVE or advisory id, matched case-insensitively. */
  id: string;
  reason: string;
  /** ISO date or date-time; the entry stops applying at this instant. */
  expires: string;
  /** Repository globs; absent means every repository. */
  repositories?: string[];
}

export interface ResolvedPolicy {
  /** Short content hash of the policy file: recorded with every decision. */
  version: string;
  repository: string;
  /** The `repositories[].match` globs that applied, in file order. */
  matchedRules: string[];
  gate: GatePolicy;
  /** Allowlist entries whose repository globs cover this repository (expired ones included). */
  allowlist: AllowlistEntry[];
  audit: { retentionDays: number };
}
