import type { Finding } from "./finding.ts";
import type { AllowlistEntry } from "./policy.ts";
import type { Severity } from "./severity.ts";

/** Why the gate blocked: which rule, and exactly which findings tripped it. */
export type GateReason =
  | { rule: "blockAt"; threshold: Severity; findings: Finding[] }
  | { rule: "maxCounts"; severity: Severity; max: number; count: number; findings: Finding[] }
  | { rule: "requireScan"; detail: string };

export interface AllowlistUse {
  entry: AllowlistEntry;
  /** Finding ids this entry suppressed. */
  findingIds: string[];
}

export interface GateVerdict {
  verdict: "pass" | "fail";
  reasons: GateReason[];
  /** Counts of the findings that counted (after ignoreUnfixed, minScore and allowlist). */
  counts: Record<Severity, number>;
  /** Counts of every finding reported, before any filtering. */
  totalCounts: Record<Severity, number>;
  allowlisted: AllowlistUse[];
  /** Entries that matched a finding but had expired: reported so someone renews or removes them. */
  expiredAllowlist: AllowlistUse[];
  ignored: { unfixed: number; belowMinScore: number };
  policyVersion: string;
  evaluatedAt: string;
}
