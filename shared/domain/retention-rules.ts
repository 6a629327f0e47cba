import { RetentionPlanError } from "./plan-context.ts";
import type { RetentionRule, RuleTemplate } from "./retention-policy.ts";

/**
 * Harbor's rule evaluators, one per template: each gets the candidates its selectors chose and
 * says which it retains. As in Harbor, a rule never deletes; whatever no rule retains in a
 * repository the rules cover is deleted by the planner. Unlike Harbor, a time the registry
 * does not report never counts against an artifact: the rule keeps it and says why.
 */

export const DAY_MS = 86_400_000;

/** What a rule looks at, by artifact position. */
export interface RuleFacts {
  /** Each artifact's position in digest order (ties between equal times rank by digest). */
  rank: Int32Array;
  /** Push time in ms; NaN when unknown. */
  pushed: Float64Array;
  /** Last pull in ms; -Infinity when never pulled; NaN when unknown. */
  pulled: Float64Array;
  /** False when the registry records no pulls at all. */
  pullTimesKnown: boolean;
  nowMs: number;
}

/** Why a rule retains a candidate (turned into the plan's detail sentence). */
export type RetainWhy =
  | "ranked"
  | "within"
  | "always"
  | "push-unknown"
  | "pull-unknown"
  | "no-pull-times";

export type Retain = (position: number, why: RetainWhy) => void;

type Evaluator = (
  param: number,
  candidates: readonly number[],
  facts: RuleFacts,
  retain: Retain,
) => void;

/** latestPushedK: the K most recently pushed; equal times rank by digest, ascending. */
const latestPushedK: Evaluator = (k, candidates, facts, retain) =>
  latest(k, candidates, facts.pushed, facts.rank, retain, "push-unknown");

/** latestPulledN: the N most recently pulled; never pulled ranks last (Harbor: pull time 0). */
const latestPulledN: Evaluator = (n, candidates, facts, retain) => {
  if (!facts.pullTimesKnown) {
    for (const c of candidates) retain(c, "no-pull-times");
    return;
  }
  latest(n, candidates, facts.pulled, facts.rank, retain, "pull-unknown");
};

/** nDaysSinceLastPush: pushed at or after now minus the days (Harbor's bound is inclusive). */
const nDaysSinceLastPush: Evaluator = (days, candidates, facts, retain) =>
  within(days, candidates, facts.pushed, facts.nowMs, retain, "push-unknown");

const nDaysSinceLastPull: Evaluator = (days, candidates, facts, retain) => {
  if (!facts.pullTimesKnown) {
    for (const c of candidates) retain(c, "no-pull-times");
    return;
  }
  within(days, candidates, facts.pulled, facts.nowMs, retain, "pull-unknown");
};

const always: Evaluator = (_param, candidates, _facts, retain) => {
  for (const c of candidates) retain(c, "always");
};

const EVALUATORS: Record<RuleTemplate, Evaluator> = {
  latestPushedK,
  latestPulledN,
  nDaysSinceLastPush,
  nDaysSinceLastPull,
  always,
};

export function evaluateRule(
  rule: RetentionRule,
  candidates: readonly number[],
  facts: RuleFacts,
  retain: Retain,
): void {
  EVALUATORS[rule.template](ruleParam(rule), candidates, facts, retain);
}

/** The rule's K, N or days, refusing a rule built by hand without one. */
export function ruleParam(rule: RetentionRule): number {
  if (rule.template === "always") return 0;
  const param = rule.param;
  if (param === undefined || !Number.isInteger(param) || param < 1) {
    throw new RetentionPlanError(
      `retention rule ${rule.index} (${rule.template}) needs a whole number parameter of 1 or more, got ${String(param)}`,
    );
  }
  return param;
}

function latest(
  count: number,
  candidates: readonly number[],
  time: Float64Array,
  rank: Int32Array,
  retain: Retain,
  unknown: RetainWhy,
): void {
  const ranked: number[] = [];
  for (const c of candidates) {
    if (Number.isNaN(time[c])) retain(c, unknown);
    else ranked.push(c);
  }
  if (ranked.length > count) {
    ranked.sort((a, b) => {
      const ta = time[a] as number;
      const tb = time[b] as number;
      if (ta !== tb) return ta > tb ? -1 : 1;
      return (rank[a] as number) - (rank[b] as number);
    });
    ranked.length = count;
  }
  for (const c of ranked) retain(c, "ranked");
}

function within(
  days: number,
  candidates: readonly number[],
  time: Float64Array,
  nowMs: number,
  retain: Retain,
  unknown: RetainWhy,
): void {
  const since = nowMs - days * DAY_MS;
  for (const c of candidates) {
    const t = time[c] as number;
    if (Number.isNaN(t)) retain(c, unknown);
    else if (t >= since) retain(c, "within");
  }
}
