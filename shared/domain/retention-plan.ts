import type { RegistryKind } from "./image.ts";
import type { RuleTemplate } from "./retention-policy.ts";

/**
 * Why an artifact is kept or deleted. Exactly one reason is reported per artifact: for a keep,
 * the first that applies in this order — protections (immutable-tag, quarantined, in-use,
 * pulled-recently), a rule, the kept parent index or subject, out of scope, unknown placement;
 * for a delete, the rule outcome or the collection that removes it.
 */
export const KEEP_REASONS = [
  "immutable-tag",
  "quarantined",
  "in-use",
  "pulled-recently",
  "rule",
  "child-of-kept-index",
  "referrer-of-kept-subject",
  "no-rule-for-repository",
  "untagged-too-young",
  "placement-unknown",
] as const;
export type KeepReason = (typeof KEEP_REASONS)[number];

export const DELETE_REASONS = [
  /** In a repository some rule covers, and no rule retained it (Harbor's semantics). */
  "not-retained",
  /** gc.untaggedOlderThanDays. */
  "untagged-expired",
  /** The index listing it is deleted and nothing else keeps it. */
  "child-of-deleted-index",
  /** Its subject is deleted by this plan. */
  "subject-deleted",
  /** gc.orphanReferrers: its subject is not in the repository. */
  "orphan-referrer",
  /** protections.quarantineExpiresAfterDays passed and nothing else keeps it. */
  "quarantine-expired",
] as const;
export type DeleteReason = (typeof DELETE_REASONS)[number];

export type ArtifactRole = "image" | "index" | "index-child" | "referrer";

export interface PlannedArtifact {
  digest: string;
  tags: string[];
  role: ArtifactRole;
  pushedAt?: string;
  lastPulledAt?: string | null;
  sizeBytes?: number;
  decision: "keep" | "delete";
  reason: KeepReason | DeleteReason;
  /** The rule (its index in the policy and template) when reason is "rule" or "not-retained". */
  rule?: { index: number; template: RuleTemplate };
  /** One readable sentence: "kept by rule 0 (latestPushedK 10): among the 10 newest pushes". */
  detail: string;
}

export interface RepositoryPlan {
  registry: RegistryKind;
  registryId: string;
  region?: string;
  repository: string;
  /** Every artifact of the repository, keep and delete, in deletion-safe order (see below). */
  artifacts: PlannedArtifact[];
  kept: number;
  deleted: number;
  /** Sum of sizeBytes over deletions (unknown sizes count 0; see bytesUnknown). */
  bytesReclaimed: number;
  /** Deletions whose size the registry did not report. */
  bytesUnknown: number;
}

/**
 * A retention/GC plan. Deterministic for a given inventory, policy and `now`. Deletions are
 * ordered so a crash never leaves a broken image: an index before the children it lists, a
 * subject before its referrers (an orphaned referrer is collected by the next run; a child
 * deleted under a live index would break pulls of that index).
 */
export interface RetentionPlan {
  /** sha256 over the canonical plan content (not the time it was made): names the apply run. */
  planId: string;
  /** The `now` the plan was computed for (ISO). */
  now: string;
  policyVersion: string;
  repositories: RepositoryPlan[];
  totals: {
    repositories: number;
    artifacts: number;
    kept: number;
    deleted: number;
    bytesReclaimed: number;
    bytesUnknown: number;
  };
}
