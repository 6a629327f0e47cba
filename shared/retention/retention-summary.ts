import type { RegistryKind } from "../domain/image.ts";
import type { RetentionSummary, RetentionSummaryRepository } from "../domain/retention-alert.ts";
import type { RetentionPlan } from "../domain/retention-plan.ts";
import type { ApplyResult } from "./apply-result.ts";

/** Failures and skips carried into the summary; the alert shows what fits of them. */
const SUMMARY_ITEMS = 1000;

export interface SummaryContext {
  registry: { kind: RegistryKind; registryId: string };
  errors?: { repository: string; message: string }[];
  cursor?: string;
}

/**
 * The alert summary of a plan, applied (`applied` given) or not (a dry run: the plan's own
 * deletions and bytes).
 */
export function summarizeRetention(
  plan: RetentionPlan,
  applied: ApplyResult | undefined,
  ctx: SummaryContext,
): RetentionSummary {
  const region = plan.repositories.find((r) => r.region)?.region;
  const errors = ctx.errors ?? [];
  const names = new Set([
    ...plan.repositories.map((r) => r.repository),
    ...errors.map((e) => e.repository),
  ]);
  const only = names.size === 1 ? [...names][0] : undefined;
  const appliedBy = new Map((applied?.repositories ?? []).map((r) => [r.repository, r]));
  const top: RetentionSummaryRepository[] = plan.repositories.map((rp) => {
    const a = appliedBy.get(rp.repository);
    return a
      ? {
          repository: rp.repository,
          deleted: a.deleted,
          bytesReclaimed: a.bytesReclaimed,
          failed: a.failed.length,
        }
      : {
          repository: rp.repository,
          deleted: rp.deleted,
          bytesReclaimed: rp.bytesReclaimed,
          failed: 0,
        };
  });
  return {
    planId: plan.planId,
    mode: applied ? "applied" : "dry-run",
    registry: { ...ctx.registry, ...(region ? { region } : {}) },
    policyVersion: plan.policyVersion,
    now: plan.now,
    repositories: names.size,
    ...(only !== undefined ? { repository: only } : {}),
    artifacts: plan.totals.artifacts,
    kept: plan.totals.kept,
    deleted: applied ? applied.deleted : plan.totals.deleted,
    alreadyGone: applied ? applied.alreadyGone : 0,
    bytesReclaimed: applied ? applied.bytesReclaimed : plan.totals.bytesReclaimed,
    bytesUnknown: plan.totals.bytesUnknown,
    failed: {
      count: applied?.failed.length ?? 0,
      items: (applied?.failed ?? []).slice(0, SUMMARY_ITEMS),
    },
    skipped: {
      count: applied?.skipped.length ?? 0,
      items: (applied?.skipped ?? []).slice(0, SUMMARY_ITEMS),
    },
    errors,
    topRepositories: top,
    ...(ctx.cursor !== undefined ? { cursor: ctx.cursor } : {}),
  };
}
