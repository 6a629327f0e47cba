import { clip } from "../domain/alert-format.ts";
import type { RegistryKind } from "../domain/image.ts";
import type { RetentionSummary, RetentionSummaryRepository } from "../domain/retention-alert.ts";
import { CARRIED_ITEMS, type RetentionRunTotals } from "./retention-payload.ts";

/**
 * A run that continues across invocations carries what its earlier steps did in the
 * continuation payload; the last step alerts with the whole run. Counts are always the full
 * ones; the lists (failures, skips, errors, largest repositories) keep the first few, so the
 * payload stays small whatever the run's size.
 */

function byBytes(a: RetentionSummaryRepository, b: RetentionSummaryRepository): number {
  return (
    b.bytesReclaimed - a.bytesReclaimed ||
    b.deleted - a.deleted ||
    (a.repository < b.repository ? -1 : a.repository > b.repository ? 1 : 0)
  );
}

function optional<K extends string>(key: K, value: string | undefined, max: number) {
  return value === undefined ? {} : ({ [key]: clip(value, max) } as Record<K, string>);
}

/** Adds one step's summary to the run's totals (undefined: the first step). */
export function addStep(
  totals: RetentionRunTotals | undefined,
  step: RetentionSummary,
): RetentionRunTotals {
  const t = totals;
  const repositories = (t?.repositories ?? 0) + step.repositories;
  const only = repositories === 1 ? (t?.repository ?? step.repository) : undefined;
  const failed = step.failed.items.map((f) => ({
    repository: clip(f.repository, 256),
    digest: clip(f.digest, 80),
    ...optional("code", f.code, 100),
    ...optional("message", f.message, 500),
  }));
  const skipped = step.skipped.items.map((s) => ({
    repository: clip(s.repository, 256),
    digest: clip(s.digest, 80),
    why: clip(s.why, 300),
  }));
  const errors = step.errors.map((e) => ({
    repository: clip(e.repository, 256),
    message: clip(e.message, 1000),
  }));
  const top = [...(t?.topRepositories ?? []), ...step.topRepositories]
    .filter((r) => r.deleted > 0 || r.failed > 0)
    .map((r) => ({ ...r, repository: clip(r.repository, 256) }))
    .sort(byBytes)
    .slice(0, CARRIED_ITEMS);
  return {
    steps: (t?.steps ?? 0) + 1,
    startedAt: t?.startedAt ?? step.now,
    policyVersion: t?.policyVersion ?? clip(step.policyVersion, 64),
    planId: t?.planId ?? clip(step.planId, 128),
    ...(only !== undefined ? { repository: clip(only, 256) } : {}),
    repositories,
    artifacts: (t?.artifacts ?? 0) + step.artifacts,
    kept: (t?.kept ?? 0) + step.kept,
    deleted: (t?.deleted ?? 0) + step.deleted,
    alreadyGone: (t?.alreadyGone ?? 0) + step.alreadyGone,
    bytesReclaimed: (t?.bytesReclaimed ?? 0) + step.bytesReclaimed,
    bytesUnknown: (t?.bytesUnknown ?? 0) + step.bytesUnknown,
    failed: {
      count: (t?.failed.count ?? 0) + step.failed.count,
      items: [...(t?.failed.items ?? []), ...failed].slice(0, CARRIED_ITEMS),
    },
    skipped: {
      count: (t?.skipped.count ?? 0) + step.skipped.count,
      items: [...(t?.skipped.items ?? []), ...skipped].slice(0, CARRIED_ITEMS),
    },
    errors: {
      count: (t?.errors.count ?? 0) + errors.length,
      items: [...(t?.errors.items ?? []), ...errors].slice(0, CARRIED_ITEMS),
    },
    topRepositories: top,
  };
}

export interface RunSummaryContext {
  runId: string;
  dryRun: boolean;
  registry: { kind: RegistryKind; registryId: string; region?: string };
  /** Set when the run stopped before its end: where the next run should continue. */
  cursor?: string;
}

/**
 * The whole run as one summary, for its alert. planId is the plan's id when the run took one
 * step, else the run id (each step planned its own repositories).
 */
export function runSummary(totals: RetentionRunTotals, ctx: RunSummaryContext): RetentionSummary {
  const hiddenErrors = totals.errors.count - totals.errors.items.length;
  return {
    planId: totals.steps === 1 ? totals.planId : ctx.runId,
    mode: ctx.dryRun ? "dry-run" : "applied",
    registry: ctx.registry,
    policyVersion: totals.policyVersion,
    now: totals.startedAt,
    repositories: totals.repositories,
    ...(totals.repository !== undefined ? { repository: totals.repository } : {}),
    artifacts: totals.artifacts,
    kept: totals.kept,
    deleted: totals.deleted,
    alreadyGone: totals.alreadyGone,
    bytesReclaimed: totals.bytesReclaimed,
    bytesUnknown: totals.bytesUnknown,
    failed: { count: totals.failed.count, items: totals.failed.items },
    skipped: { count: totals.skipped.count, items: totals.skipped.items },
    errors: [
      ...totals.errors.items,
      ...(hiddenErrors > 0
        ? [
            {
              repository: "*",
              message: `${hiddenErrors} more repositories failed; the run's logs (runId ${ctx.runId}) name them`,
            },
          ]
        : []),
    ],
    topRepositories: totals.topRepositories,
    ...(ctx.cursor !== undefined ? { cursor: ctx.cursor } : {}),
  };
}
