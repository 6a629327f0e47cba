/**
 * The retention section of the policy after loading: Harbor's rule vocabulary plus the
 * protections and garbage collection Harbor does not combine. policy-schema.ts is the YAML form
 * (with defaults filled), docs/retention.md the prose. Pure data, no behaviour.
 */

/** Harbor's rule templates (same names, same meaning; see docs/retention.md). */
export const RULE_TEMPLATES = [
  "latestPushedK",
  "latestPulledN",
  "nDaysSinceLastPush",
  "nDaysSinceLastPull",
  "always",
] as const;
export type RuleTemplate = (typeof RULE_TEMPLATES)[number];

/** Harbor's doublestar selector: `matches` or `excludes` one or more patterns. */
export type PatternSelector =
  | { decoration: "matches"; patterns: string[] }
  | { decoration: "excludes"; patterns: string[] };

export interface TagSelector {
  /** Which tagged artifacts the rule looks at (an artifact with any selected tag). */
  tags: PatternSelector;
  /** Whether untagged artifacts are candidates of the rule too (Harbor's "untagged" extra). */
  untagged: boolean;
}

export interface RetentionRule {
  /** Position in the file, from 0: reported with every decision it makes. */
  index: number;
  template: RuleTemplate;
  /** K or N for latestPushedK / latestPulledN, days for nDaysSince*; absent for always. */
  param?: number;
  tagSelector: TagSelector;
  repositorySelector: PatternSelector;
}

export interface RetentionProtections {
  /** Tag patterns that are never deleted (tag immutability): the whole artifact is kept. */
  immutableTags: string[];
  /**
   * Quarantined images are kept until released; with this set (days), a quarantine older than
   * that may be collected like any other image.
   */
  quarantineExpiresAfterDays?: number;
  /** Kept when pulled within this many days (ECR lastRecordedPullTime). */
  pulledWithinDays?: number;
  /** Kept when a running workload uses the digest (needs an in-use provider, e.g. ECS). */
  inUse: boolean;
}

export interface GarbageCollection {
  /** Untagged images (not an index's child, not a referrer) older than this many days go. */
  untaggedOlderThanDays?: number;
  /** Referrers whose subject is gone go (signatures, attestations, SBOMs, legacy tags). */
  orphanReferrers: boolean;
}

export interface RetentionPolicy {
  rules: RetentionRule[];
  protections: RetentionProtections;
  gc: GarbageCollection;
  /** EventBridge Scheduler expression (`cron(…)` or `rate(…)`); absent: on demand only. */
  schedule?: string;
  /** Scheduled runs apply (true) or only plan and alert (false, the default). */
  scheduleApplies: boolean;
}
