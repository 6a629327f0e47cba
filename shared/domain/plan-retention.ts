import { artifactGraph } from "./artifact-roles.ts";
import { type PlanContext, planInstant } from "./plan-context.ts";
import { planIdOf } from "./plan-id.ts";
import { notRetainedDetail, retainDetails, shortDigest } from "./retention-details.ts";
import type { Artifact, RepositoryInventory } from "./retention-inventory.ts";
import { deletionSafeOrder } from "./retention-order.ts";
import type {
  DeleteReason,
  KeepReason,
  PlannedArtifact,
  RepositoryPlan,
  RetentionPlan,
} from "./retention-plan.ts";
import type { RetentionPolicy, RetentionRule } from "./retention-policy.ts";
import { type Protection, protectionsOf } from "./retention-protections.ts";
import {
  DAY_MS,
  evaluateRule,
  type RetainWhy,
  type RuleFacts,
  ruleParam,
} from "./retention-rules.ts";
import { tagSelector, type ValueSelector, valueSelector } from "./retention-selectors.ts";

/**
 * The retention planner: one repository's inventory and the policy in, a decision for every
 * manifest out. It reads as Harbor's retention does (selectors pick candidates, each rule's
 * evaluator retains some, rules combine with OR, whatever no rule retains in a covered
 * repository goes), with protections and garbage collection decided in the same pass so one
 * plan shows everything. docs/retention.md is the prose version. Pure and deterministic: the
 * same inventory (in any order), policy and context give the same plan and planId.
 */

interface CompiledRule {
  rule: RetentionRule;
  /** What PlannedArtifact.rule holds: one frozen object per rule, shared by its artifacts. */
  ref: Readonly<NonNullable<PlannedArtifact["rule"]>>;
  repository: ValueSelector;
  selects: (tags: readonly string[]) => boolean;
  retained: Record<RetainWhy, string>;
  /** Details of candidates it selected but did not retain (shared strings: a million of them). */
  missed: { tagged: string; untagged: string };
}

const compiled = new WeakMap<RetentionPolicy, CompiledRule[]>();

/** Selectors compiled once per policy object, not per repository or artifact. */
function compiledRules(policy: RetentionPolicy): CompiledRule[] {
  let rules = compiled.get(policy);
  if (!rules) {
    rules = [...policy.rules]
      .sort((a, b) => a.index - b.index)
      .map((rule) => {
        ruleParam(rule);
        return {
          rule,
          ref: Object.freeze({ index: rule.index, template: rule.template }),
          repository: valueSelector(rule.repositorySelector),
          selects: tagSelector(rule.tagSelector),
          retained: retainDetails(rule),
          missed: {
            tagged: notRetainedDetail(rule, true),
            untagged: notRetainedDetail(rule, false),
          },
        };
      });
    compiled.set(policy, rules);
  }
  return rules;
}

const KEEP = 1;
const DELETE = 2;
const SELECTED_BY_NONE = {
  tagged: notRetainedDetail(undefined, true),
  untagged: notRetainedDetail(undefined, false),
};

export function planRepository(
  inv: RepositoryInventory,
  policy: RetentionPolicy,
  ctx: PlanContext,
): RepositoryPlan {
  const nowMs = planInstant(ctx);
  const graph = artifactGraph(inv.artifacts, inv.manifestsKnown);
  const { artifacts, roles, parents, subjects, placed, rank } = graph;
  const n = artifacts.length;
  const digests = artifacts.map((a) => a.digest);
  const facts: RuleFacts = {
    rank: graph.rank,
    pushed: new Float64Array(n),
    pulled: new Float64Array(n),
    pullTimesKnown: inv.pullTimesKnown,
    nowMs,
  };
  for (let i = 0; i < n; i++) {
    const a = artifacts[i] as Artifact;
    facts.pushed[i] = a.pushedAt ? Date.parse(a.pushedAt) : Number.NaN;
    facts.pulled[i] =
      a.lastPulledAt === null
        ? Number.NEGATIVE_INFINITY
        : a.lastPulledAt
          ? Date.parse(a.lastPulledAt)
          : Number.NaN;
  }

  // Harbor evaluates a repository only with the rules whose repository selector chose it.
  const rules = compiledRules(policy).filter((r) => r.repository(inv.repository));
  const covered = rules.length > 0;

  // Protections first: a protected artifact is kept whatever the rules say, so it takes none
  // of a rule's K or N places (and deleting its index cannot turn it into a new candidate).
  const protections = protectionsOf(policy.protections, ctx.inUse, nowMs);
  const protectedBy: (Protection | undefined)[] = new Array(n);
  // Candidates: top-level artifacts (and tagged index children, which stand on their own).
  const candidate = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const a = artifacts[i] as Artifact;
    protectedBy[i] = protections.protect(a, facts.pulled[i] as number);
    const role = roles[i];
    const topLevel = role === "image" || role === "index";
    if (
      placed[i] &&
      !protectedBy[i] &&
      (topLevel || (role === "index-child" && a.tags.length > 0))
    ) {
      candidate[i] = 1;
    }
  }
  const retainedBy: (CompiledRule | undefined)[] = new Array(n);
  const retainedWhy: (RetainWhy | undefined)[] = new Array(n);
  const selectedBy: (CompiledRule | undefined)[] = new Array(n);
  for (const compiledRule of rules) {
    const chosen: number[] = [];
    for (let i = 0; i < n; i++) {
      if (candidate[i] && compiledRule.selects((artifacts[i] as Artifact).tags)) {
        chosen.push(i);
        selectedBy[i] ??= compiledRule;
      }
    }
    evaluateRule(compiledRule.rule, chosen, facts, (i, why) => {
      if (retainedBy[i]) return;
      retainedBy[i] = compiledRule;
      retainedWhy[i] = why;
    });
  }

  const gcDays = policy.gc.untaggedOlderThanDays;
  const state = new Uint8Array(n);
  /** The kept (or, in a malformed cycle, undecided) position with the smallest digest. */
  const keptAmong = (list: number[] | undefined): number | undefined => {
    let best: number | undefined;
    if (!list) return best;
    for (const p of list) {
      if (
        state[p] !== DELETE &&
        (best === undefined || (rank[p] as number) < (rank[best] as number))
      ) {
        best = p;
      }
    }
    return best;
  };
  const smallest = (list: number[]) =>
    list.reduce((a, b) => ((rank[b] as number) < (rank[a] as number) ? b : a));

  const keptIndexDetail = new Map<number, string>();
  /** Referrers of one subject share one sentence (a million artifacts, few distinct sentences). */
  const referrerDetails = new Map<number, string>();
  const referrerDetail = (subject: number, legacy: boolean, kept: boolean) => {
    const key = subject * 4 + (legacy ? 2 : 0) + (kept ? 1 : 0);
    let detail = referrerDetails.get(key);
    if (detail === undefined) {
      const short = shortDigest(digests[subject] as string);
      detail = kept
        ? `kept: refers${via(legacy)} to ${short}, which is kept`
        : `deleted: refers${via(legacy)} to ${short}, which this plan deletes`;
      referrerDetails.set(key, detail);
    }
    return detail;
  };
  /** Everything after protections and rules: relations, then coverage, then GC. */
  const fallback = (i: number, a: Artifact): Decision => {
    const parent = keptAmong(parents[i]);
    if (parent !== undefined) {
      let detail = keptIndexDetail.get(parent);
      if (detail === undefined) {
        detail = `kept: listed by the kept index ${shortDigest(digests[parent] as string)}`;
        keptIndexDetail.set(parent, detail);
      }
      return keep("child-of-kept-index", detail);
    }
    const subject = keptAmong(subjects[i]);
    if (subject !== undefined) {
      return keep(
        "referrer-of-kept-subject",
        referrerDetail(subject, graph.legacyTag[i] !== undefined, true),
      );
    }
    const tagged = a.tags.length > 0;
    if (roles[i] === "referrer") {
      const present = subjects[i];
      if (present) {
        return drop(
          "subject-deleted",
          referrerDetail(smallest(present), graph.legacyTag[i] !== undefined, false),
        );
      }
      const named = shortDigest(graph.subjectDigests[i]?.[0] ?? "");
      return policy.gc.orphanReferrers
        ? drop(
            "orphan-referrer",
            `deleted: refers${via(graph.legacyTag[i] !== undefined)} to ${named}, which is not in this repository (gc.orphanReferrers)`,
          )
        : keep(
            "placement-unknown",
            `kept: refers to ${named}, which is not in this repository, and gc.orphanReferrers is false`,
          );
    }
    const listing = parents[i];
    if (listing && !tagged) {
      return drop(
        "child-of-deleted-index",
        `deleted: untagged, and the index listing it (${shortDigest(digests[smallest(listing)] as string)}) is deleted`,
      );
    }
    if (!placed[i]) {
      return keep(
        "placement-unknown",
        "kept: untagged, and the inventory does not say which index or subject it belongs to",
      );
    }
    if (covered) {
      const by = selectedBy[i];
      const missed = by ? by.missed : SELECTED_BY_NONE;
      return drop("not-retained", tagged ? missed.tagged : missed.untagged, by?.ref);
    }
    if (tagged)
      return keep("no-rule-for-repository", "kept: no retention rule covers this repository");
    if (gcDays === undefined) {
      return keep(
        "no-rule-for-repository",
        "kept: no retention rule covers this repository, and gc.untaggedOlderThanDays is not set",
      );
    }
    const pushed = facts.pushed[i] as number;
    if (Number.isNaN(pushed)) {
      return keep(
        "untagged-too-young",
        `kept: untagged, and the registry does not say when it was pushed, so untaggedOlderThanDays ${gcDays} cannot age it`,
      );
    }
    return nowMs - pushed > gcDays * DAY_MS
      ? drop(
          "untagged-expired",
          `deleted: untagged, and pushed more than untaggedOlderThanDays ${gcDays} days ago`,
        )
      : keep(
          "untagged-too-young",
          `kept: untagged, but pushed within untaggedOlderThanDays ${gcDays} days`,
        );
  };

  const order = deletionSafeOrder(graph);
  const planned: PlannedArtifact[] = new Array(n);
  let kept = 0;
  let deleted = 0;
  let bytesReclaimed = 0;
  let bytesUnknown = 0;
  for (let k = 0; k < n; k++) {
    const i = order[k] as number;
    const a = artifacts[i] as Artifact;
    let decision: Decision;
    const protection = protectedBy[i];
    const retained = retainedBy[i];
    if (protection) {
      decision = keep(protection.reason, protection.detail);
    } else if (retained) {
      decision = keep("rule", retained.retained[retainedWhy[i] as RetainWhy], retained.ref);
    } else {
      decision = fallback(i, a);
      if (decision.decision === "delete" && protections.quarantineExpired(a)) {
        decision = drop(
          "quarantine-expired",
          `deleted: quarantined since ${a.quarantinedAt}, past quarantineExpiresAfterDays ${policy.protections.quarantineExpiresAfterDays}; ${decision.detail.replace(/^deleted: /, "")}`,
        );
      }
    }
    state[i] = decision.decision === "keep" ? KEEP : DELETE;
    planned[k] = plannedArtifact(a, roles[i] ?? "image", decision);
    if (decision.decision === "keep") {
      kept++;
    } else {
      deleted++;
      if (isSize(a.sizeBytes)) bytesReclaimed += a.sizeBytes;
      else bytesUnknown++;
    }
  }

  return {
    registry: inv.registry,
    registryId: inv.registryId,
    ...(inv.region !== undefined ? { region: inv.region } : {}),
    repository: inv.repository,
    artifacts: planned,
    kept,
    deleted,
    bytesReclaimed,
    bytesUnknown,
  };
}

/** Plans every repository and assembles the plan (inventories may come lazily, one at a time). */
export function planRetention(
  inventories: Iterable<RepositoryInventory>,
  policy: RetentionPolicy,
  ctx: PlanContext,
): RetentionPlan {
  const repositories: RepositoryPlan[] = [];
  for (const inv of inventories) repositories.push(planRepository(inv, policy, ctx));
  return assemblePlan(repositories, ctx);
}

/** Orders repositories by registry and name, adds the totals and names the plan. */
export function assemblePlan(repositories: RepositoryPlan[], ctx: PlanContext): RetentionPlan {
  planInstant(ctx);
  const sorted = [...repositories].sort(compareRepositories);
  const totals = {
    repositories: sorted.length,
    artifacts: 0,
    kept: 0,
    deleted: 0,
    bytesReclaimed: 0,
    bytesUnknown: 0,
  };
  for (const r of sorted) {
    totals.artifacts += r.artifacts.length;
    totals.kept += r.kept;
    totals.deleted += r.deleted;
    totals.bytesReclaimed += r.bytesReclaimed;
    totals.bytesUnknown += r.bytesUnknown;
  }
  return {
    planId: planIdOf(ctx.policyVersion, sorted),
    now: ctx.now.toISOString(),
    policyVersion: ctx.policyVersion,
    repositories: sorted,
    totals,
  };
}

type RuleRef = NonNullable<PlannedArtifact["rule"]>;

interface Decision {
  decision: "keep" | "delete";
  reason: KeepReason | DeleteReason;
  detail: string;
  rule?: RuleRef | undefined;
}

function keep(reason: KeepReason, detail: string, rule?: RuleRef): Decision {
  return { decision: "keep", reason, detail, rule };
}

function drop(reason: DeleteReason, detail: string, rule?: RuleRef): Decision {
  return { decision: "delete", reason, detail, rule };
}

/** Says so when a legacy cosign tag (sha256-<hex>.sig|.att|.sbom), not an OCI subject, placed it. */
function via(legacy: boolean): string {
  return legacy ? " by its legacy cosign tag" : "";
}

/** Keys inserted in sorted order, so a plan prints the same way whoever built it. */
function plannedArtifact(a: Artifact, role: PlannedArtifact["role"], d: Decision): PlannedArtifact {
  const out = { decision: d.decision, detail: d.detail, digest: a.digest } as PlannedArtifact;
  if (a.lastPulledAt !== undefined) out.lastPulledAt = a.lastPulledAt;
  if (a.pushedAt !== undefined) out.pushedAt = a.pushedAt;
  out.reason = d.reason;
  out.role = role;
  if (d.rule) out.rule = d.rule;
  if (isSize(a.sizeBytes)) out.sizeBytes = a.sizeBytes;
  const tags = a.tags.slice();
  if (tags.length > 1) tags.sort();
  out.tags = tags;
  return out;
}

/** A size the plan can add up; anything else (absent, negative, NaN) counts as unknown. */
function isSize(bytes: number | undefined): bytes is number {
  return bytes !== undefined && Number.isFinite(bytes) && bytes >= 0;
}

function compareRepositories(a: RepositoryPlan, b: RepositoryPlan): number {
  return (
    compare(a.registry, b.registry) ||
    compare(a.registryId, b.registryId) ||
    compare(a.region ?? "", b.region ?? "") ||
    compare(a.repository, b.repository)
  );
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
