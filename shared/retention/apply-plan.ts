import { mapLimit } from "../concurrency/map-limit.ts";
import type { RetentionPlan } from "../domain/retention-plan.ts";
import type { AuditLog, Clock, Log } from "../ports.ts";
import { applyRepositoryPlan } from "./apply-repository.ts";
import { type ApplyResult, combineApplyResults } from "./apply-result.ts";
import type { RetentionRegistry } from "./retention-ports.ts";
import type { RetentionProgress } from "./retention-progress.ts";

export type {
  ApplyResult,
  FailedDeletion,
  RepositoryApplyResult,
  SkippedDeletion,
} from "./apply-result.ts";

export interface ApplyDeps {
  registry: RetentionRegistry;
  audit: AuditLog;
  log: Log;
  clock: Clock;
}

export interface ApplyOptions {
  /** Repositories applied at the same time. Default 4. */
  concurrency?: number;
  onProgress?: (e: RetentionProgress) => void;
}

export const DEFAULT_REPOSITORY_CONCURRENCY = 4;

/**
 * Applies exactly the plan: deletes its `decision: "delete"` artifacts, repository by
 * repository in the plan's order (up to `concurrency` at once), each repository's deletions in
 * the plan's order with parents before children. Nothing the plan keeps and nothing outside the
 * plan is ever deleted.
 *
 * Safe to apply later: before deleting, each repository is read again and a planned digest that
 * changed since the plan (re-tagged, now listed by an index that stays, …) is skipped, not
 * deleted (see stale-check.ts). Resumable: applying the same plan again after a crash finishes
 * the rest without a second delete call for what was done (see apply-repository.ts).
 *
 * Never throws for a registry or audit failure: those are in `failed`, with codes.
 */
export async function applyPlan(
  plan: RetentionPlan,
  deps: ApplyDeps,
  opts: ApplyOptions = {},
): Promise<ApplyResult> {
  const started = deps.clock().getTime();
  const repositories = await mapLimit(
    plan.repositories,
    opts.concurrency ?? DEFAULT_REPOSITORY_CONCURRENCY,
    async (rp) => {
      const result = await applyRepositoryPlan(rp, deps, {
        planId: plan.planId,
        policyVersion: plan.policyVersion,
        ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
      });
      opts.onProgress?.({ kind: "repository-done", repository: rp.repository });
      return result;
    },
  );
  const result = combineApplyResults(plan.planId, repositories);
  deps.log.info("retention plan applied", {
    planId: plan.planId,
    repositories: plan.repositories.length,
    deleted: result.deleted,
    alreadyGone: result.alreadyGone,
    failed: result.failed.length,
    skipped: result.skipped.length,
    bytesReclaimed: result.bytesReclaimed,
    durationMs: deps.clock().getTime() - started,
  });
  return result;
}
