import type { PlanContext } from "../domain/plan-context.ts";
import { assemblePlan, planRepository } from "../domain/plan-retention.ts";
import type { LoadedPolicy } from "../domain/policy-load.ts";
import { repositoryMatcher } from "../domain/policy-resolve.ts";
import { buildRetentionAlert } from "../domain/retention-alert.ts";
import type { RepositoryPlan, RetentionPlan } from "../domain/retention-plan.ts";
import { retentionPolicyOf } from "../domain/retention-policy-of.ts";
import type { Alert, Alerts } from "../ports.ts";
import { type ApplyDeps, DEFAULT_REPOSITORY_CONCURRENCY } from "./apply-plan.ts";
import { applyRepositoryPlan } from "./apply-repository.ts";
import {
  type ApplyResult,
  combineApplyResults,
  type RepositoryApplyResult,
} from "./apply-result.ts";
import { errorCode, errorText } from "./error-text.ts";
import type { InUseProvider } from "./retention-ports.ts";
import type { RetentionProgress } from "./retention-progress.ts";
import { summarizeRetention } from "./retention-summary.ts";

export interface RetentionDeps extends ApplyDeps {
  policy: LoadedPolicy;
  alerts: Alerts;
  inUse?: InUseProvider;
}

export interface RetentionRunOptions {
  /** Delete (true) or only plan (false: nothing is deleted, audited or, by default, alerted). */
  apply: boolean;
  /** Repository globs (policy glob syntax); absent: every repository. */
  repositories?: readonly string[];
  /** Cursor: continue after this repository (the `cursor` of a run that yielded). */
  after?: string;
  /** Asked before starting each repository after the first; true: finish the running ones, stop. */
  shouldYield?: () => boolean;
  /** Repositories planned (and applied) at the same time. Default 4. */
  concurrency?: number;
  onProgress?: (e: RetentionProgress) => void;
  /** Publish the summary alert. Default: `apply`. On a dry run it is a retention-planned alert. */
  alert?: boolean;
}

/** A repository that could not be inventoried, planned or applied; the others went on. */
export interface RepositoryRunError {
  repository: string;
  code: string;
  message: string;
}

export interface RetentionRunResult {
  /** The plan of the repositories this run covered, in repository order. */
  plan: RetentionPlan;
  /** What was applied, when `apply`. */
  applied?: ApplyResult;
  /** Set when the run yielded: call again with `after: cursor` to continue. */
  cursor?: string;
  /** Addition: repositories that failed as a whole (also in the alert, which then fails). */
  errors: RepositoryRunError[];
  /** Addition: the summary alert, when one was published. */
  alert?: Alert;
}

export type RetentionRunErrorCode = "IN_USE_PROVIDER_MISSING" | "IN_USE_UNAVAILABLE";

/** The run could not start safely; nothing was planned or deleted. */
export class RetentionRunError extends Error {
  readonly code: RetentionRunErrorCode;
  constructor(code: RetentionRunErrorCode, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = "RetentionRunError";
    this.code = code;
  }
}

interface RepositoryOutcome {
  plan?: RepositoryPlan;
  applied?: RepositoryApplyResult;
  error?: RepositoryRunError;
}

/**
 * One retention run: list the registry's repositories, keep those the globs select (after the
 * cursor), then per repository — a bounded number at a time, results in repository order —
 * inventory, plan, and (when applying) apply that repository's plan at once from the same
 * inventory. One summary alert per call.
 *
 * Audit records name each repository's own plan (`retention:<planId of that one repository's
 * plan>`): a repository is applied as soon as it is planned, before the run's plan exists.
 *
 * Yielding (a Lambda near its time limit): before starting each repository after the first,
 * `shouldYield()` is asked; once it says true no repository starts, the running ones finish,
 * and `cursor` names the last of them. Repositories start in order, so every repository up to
 * the cursor is done and none after it was touched: the next call with `after: cursor` neither
 * skips nor repeats one. At least one repository is done per call, so a chain of calls always
 * progresses.
 */
export async function runRetention(
  deps: RetentionDeps,
  opts: RetentionRunOptions,
): Promise<RetentionRunResult> {
  const policy = retentionPolicyOf(deps.policy);
  const matches = opts.repositories?.length ? repositoryMatcher(opts.repositories) : () => true;
  const after = opts.after;
  const names = [...new Set(await deps.registry.listRepositories())]
    .filter((r) => matches(r) && (after === undefined || r > after))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  opts.onProgress?.({ kind: "repositories", total: names.length });

  const inUse =
    names.length > 0 && policy.protections.inUse ? await digestsInUse(deps, opts.apply) : undefined;
  const ctx: PlanContext = {
    now: deps.clock(),
    policyVersion: deps.policy.version,
    ...(inUse ? { inUse } : {}),
  };

  const outcomes: RepositoryOutcome[] = [];
  let next = 0;
  let yielded = false;
  const worker = async () => {
    for (;;) {
      if (yielded || next >= names.length) return;
      if (next > 0 && opts.shouldYield?.()) {
        yielded = true;
        return;
      }
      const i = next++;
      outcomes[i] = await runRepository(names[i] as string, deps, opts, policy, ctx);
    }
  };
  const workers = Math.max(
    1,
    Math.min(opts.concurrency ?? DEFAULT_REPOSITORY_CONCURRENCY, names.length),
  );
  await Promise.all(Array.from({ length: workers }, worker));

  const started = outcomes.slice(0, next);
  const plans = started.flatMap((o) => (o.plan ? [o.plan] : []));
  const errors = started.flatMap((o) => (o.error ? [o.error] : []));
  const plan = assemblePlan(plans, ctx);
  const cursor = yielded && next < names.length ? names[next - 1] : undefined;
  const applied = opts.apply
    ? combineApplyResults(
        plan.planId,
        started.flatMap((o) => (o.applied ? [o.applied] : [])),
      )
    : undefined;

  const result: RetentionRunResult = {
    plan,
    ...(applied ? { applied } : {}),
    ...(cursor !== undefined ? { cursor } : {}),
    errors,
  };
  if (opts.alert ?? opts.apply) {
    const alert = buildRetentionAlert(
      summarizeRetention(plan, applied, {
        registry: { kind: deps.registry.kind, registryId: deps.registry.registryId },
        errors: errors.map((e) => ({
          repository: e.repository,
          message: `${e.code}: ${e.message}`,
        })),
        ...(cursor !== undefined ? { cursor } : {}),
      }),
    );
    try {
      await deps.alerts.publish(alert);
      result.alert = alert;
    } catch (err) {
      deps.log.error("retention summary alert not published", { error: errorText(err) });
      errors.push({
        repository: "*",
        code: errorCode(err),
        message: `summary alert not published: ${errorText(err)}`,
      });
    }
  }
  deps.log.info("retention run finished", {
    planId: plan.planId,
    apply: opts.apply,
    repositories: started.length,
    selected: names.length,
    deleted: applied?.deleted ?? plan.totals.deleted,
    failed: applied?.failed.length ?? 0,
    errors: errors.length,
    ...(cursor !== undefined ? { cursor } : {}),
  });
  return result;
}

async function runRepository(
  repository: string,
  deps: RetentionDeps,
  opts: RetentionRunOptions,
  policy: ReturnType<typeof retentionPolicyOf>,
  ctx: PlanContext,
): Promise<RepositoryOutcome> {
  const out: RepositoryOutcome = {};
  try {
    const inventory = await deps.registry.inventory(repository);
    const rp = planRepository(inventory, policy, ctx);
    out.plan = rp;
    opts.onProgress?.({
      kind: "planned",
      repository,
      artifacts: rp.artifacts.length,
      deletions: rp.artifacts.filter((a) => a.decision === "delete").length,
    });
    if (opts.apply) {
      // This repository's own plan names its audit records; the inventory just read is what
      // the plan was made from, so it serves as the stale check too.
      const own = assemblePlan([rp], ctx);
      out.applied = await applyRepositoryPlan(rp, deps, {
        planId: own.planId,
        policyVersion: own.policyVersion,
        inventory,
        ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
      });
    }
  } catch (err) {
    deps.log.error("retention failed for a repository", { repository, error: errorText(err) });
    out.error = { repository, code: errorCode(err), message: errorText(err) };
  }
  opts.onProgress?.({ kind: "repository-done", repository });
  return out;
}

/** Fetched once per run. Applying without it, when the policy asks for it, is refused. */
async function digestsInUse(
  deps: RetentionDeps,
  apply: boolean,
): Promise<ReadonlySet<string> | undefined> {
  if (!deps.inUse) {
    if (apply) {
      throw new RetentionRunError(
        "IN_USE_PROVIDER_MISSING",
        "the policy protects digests in use (retention.protections.inUse) but no in-use provider is configured; configure one (e.g. ECS clusters) or set inUse: false",
      );
    }
    deps.log.warn("retention.protections.inUse is set but no in-use provider is configured");
    return undefined;
  }
  try {
    return await deps.inUse.digestsInUse();
  } catch (err) {
    throw new RetentionRunError(
      "IN_USE_UNAVAILABLE",
      `could not read the digests in use from ${deps.inUse.name} (${errorText(err)}); nothing was planned or deleted`,
      err,
    );
  }
}
