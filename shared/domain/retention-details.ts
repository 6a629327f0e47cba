import type { RetentionRule } from "./retention-policy.ts";
import type { RetainWhy } from "./retention-rules.ts";

/**
 * The one sentence each planned artifact carries. Sentences name the rule (its position,
 * template and parameter) or the protection, never the plan's `now`, so the same inventory
 * planned twice reads the same. Sentences shared by many artifacts are built once.
 */

/** sha256:0123456789ab: enough to find the digest in the same plan. */
export function shortDigest(digest: string): string {
  return digest.slice(0, 19);
}

export function ruleLabel(rule: RetentionRule): string {
  return rule.template === "always"
    ? `rule ${rule.index} (always)`
    : `rule ${rule.index} (${rule.template} ${rule.param})`;
}

/** Indexed by RetainWhy: why the rule kept a candidate. */
export function retainDetails(rule: RetentionRule): Record<RetainWhy, string> {
  const label = `kept by ${ruleLabel(rule)}`;
  const n = rule.param;
  const ranked =
    rule.template === "latestPushedK"
      ? `among the ${n} most recently pushed`
      : `among the ${n} most recently pulled`;
  const within =
    rule.template === "nDaysSinceLastPush"
      ? `pushed within the last ${n} days`
      : `pulled within the last ${n} days`;
  return {
    ranked: `${label}: ${ranked}`,
    within: `${label}: ${within}`,
    always: `${label}: its tag selector chose it`,
    "push-unknown": `${label}: the registry does not say when it was pushed, so the rule keeps it`,
    "pull-unknown": `${label}: the registry does not say when it was last pulled, so the rule keeps it`,
    "no-pull-times": `${label}: the registry records no pulls, so pull rules keep every candidate`,
  };
}

/** A covered repository's candidate that no rule retained. */
export function notRetainedDetail(selectedBy: RetentionRule | undefined, tagged: boolean): string {
  if (!selectedBy) {
    return tagged
      ? "deleted: no rule covering this repository selects its tags"
      : "deleted: untagged, and no rule covering this repository includes untagged artifacts";
  }
  const n = selectedBy.param;
  const missed: Record<RetentionRule["template"], string> = {
    latestPushedK: `it is not among the ${n} most recently pushed`,
    latestPulledN: `it is not among the ${n} most recently pulled`,
    nDaysSinceLastPush: `it was not pushed within the last ${n} days`,
    nDaysSinceLastPull: `it was not pulled within the last ${n} days`,
    always: "it was not retained",
  };
  return `deleted: ${ruleLabel(selectedBy)} selects it, but ${missed[selectedBy.template]}; no rule retains it`;
}
