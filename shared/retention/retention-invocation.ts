import { buildRetentionAlert } from "../domain/retention-alert.ts";
import type { RepositoryPlan } from "../domain/retention-plan.ts";
import type { Log } from "../ports.ts";
import { errorText } from "./error-text.ts";
import {
  parseRetentionPayload,
  type RetentionPayload,
  type RetentionRunTotals,
} from "./retention-payload.ts";
import { addStep, runSummary } from "./retention-run-totals.ts";
import { summarizeRetention } from "./retention-summary.ts";
import { type RetentionDeps, type RetentionRunResult, runRetention } from "./run-retention.ts";

/**
 * One invocation of the retention-run function, without Lambda: parse the payload, run
 * retention until the remaining time nears the safety margin, then either hand the rest to a
 * new invocation (self-continuation with a cursor) or, on the last step, publish the alert for
 * the whole run. docs/retention-runs.md explains the choice over Step Functions.
 */

export interface RetentionInvocationSettings {
  /** Below this much remaining time no new repository starts and the run continues itself. */
  safetyMarginMs: number;
  /** Continuations one run may make; then it stops, alerts with its cursor, and says so. */
  maxContinuations: number;
  /** Repositories planned (and applied) at once; runRetention's default when absent. */
  concurrency?: number;
}

export const DEFAULT_INVOCATION_SETTINGS: RetentionInvocationSettings = {
  safetyMarginMs: 3 * 60_000,
  maxContinuations: 100,
};

export interface RetentionInvocationDeps {
  /** What runRetention needs: registry, audit, alerts, policy, clock, log, in-use provider. */
  retention: RetentionDeps;
  /** Starts the next step: an asynchronous invocation of this function with `payload`. */
  continueWith(payload: RetentionPayload): Promise<void>;
  /** A new run's id (the first step makes one). */
  newRunId(): string;
  settings?: Partial<RetentionInvocationSettings>;
}

export interface RetentionInvocationResult {
  runId: string;
  dryRun: boolean;
  source: "schedule" | "manual";
  /** This invocation's place in the run, from 1. */
  step: number;
  /** Repositories this invocation finished. */
  repositoriesThisStep: number;
  /** The whole run so far. */
  repositories: number;
  kept: number;
  /** Applied: deleted; dry run: planned deletions. */
  deleted: number;
  alreadyGone: number;
  failed: number;
  skipped: number;
  errors: number;
  /** Applied: bytes deleted; dry run: bytes the plan would reclaim. */
  bytesReclaimed: number;
  bytesUnknown: number;
  /** Where the run goes on (continued), or where a stopped run should be resumed. */
  cursor?: string;
  /** A new invocation carries on from `cursor`. */
  continued: boolean;
  /** Set when the run stopped before its end without continuing. */
  stopped?: "max-continuations";
}

/** A full plan log line stays under CloudWatch Logs' 256 KB event limit. */
const PLAN_LINE_BUDGET = 200_000;

/** One repository's plan as log lines: the whole plan, split by artifacts when it is large. */
export function planLogParts(plan: RepositoryPlan): RepositoryPlan[] {
  const { artifacts, ...head } = plan;
  const parts: RepositoryPlan[] = [];
  let current: RepositoryPlan["artifacts"] = [];
  let size = 0;
  for (const a of artifacts) {
    const n = JSON.stringify(a).length + 1;
    if (current.length > 0 && size + n > PLAN_LINE_BUDGET) {
      parts.push({ ...head, artifacts: current });
      current = [];
      size = 0;
    }
    current.push(a);
    size += n;
  }
  parts.push({ ...head, artifacts: current });
  return parts;
}

function logPlans(
  log: Log,
  ids: { runId: string; step: number },
  result: RetentionRunResult,
  dryRun: boolean,
) {
  const applied = new Map((result.applied?.repositories ?? []).map((r) => [r.repository, r]));
  for (const rp of result.plan.repositories) {
    const a = applied.get(rp.repository);
    log.info("retention repository", {
      ...ids,
      repository: rp.repository,
      artifacts: rp.artifacts.length,
      kept: rp.kept,
      plannedDeletions: rp.deleted,
      bytesToReclaim: rp.bytesReclaimed,
      bytesUnknown: rp.bytesUnknown,
      ...(a
        ? {
            deleted: a.deleted,
            alreadyGone: a.alreadyGone,
            failed: a.failed.length,
            skipped: a.skipped.length,
            bytesReclaimed: a.bytesReclaimed,
          }
        : {}),
    });
    if (!dryRun) continue;
    const parts = planLogParts(rp);
    parts.forEach((plan, i) => {
      log.info("retention plan", {
        ...ids,
        repository: rp.repository,
        ...(parts.length > 1 ? { part: i + 1, parts: parts.length } : {}),
        plan,
      });
    });
  }
}

function resultOf(
  p: RetentionPayload,
  ids: { runId: string; step: number },
  repositoriesThisStep: number,
  totals: RetentionRunTotals,
  end: { cursor?: string; continued: boolean; stopped?: "max-continuations" },
): RetentionInvocationResult {
  return {
    runId: ids.runId,
    dryRun: p.dryRun,
    source: p.source ?? "manual",
    step: ids.step,
    repositoriesThisStep,
    repositories: totals.repositories,
    kept: totals.kept,
    deleted: totals.deleted,
    alreadyGone: totals.alreadyGone,
    failed: totals.failed.count,
    skipped: totals.skipped.count,
    errors: totals.errors.count,
    bytesReclaimed: totals.bytesReclaimed,
    bytesUnknown: totals.bytesUnknown,
    ...(end.cursor !== undefined ? { cursor: end.cursor } : {}),
    continued: end.continued,
    ...(end.stopped ? { stopped: end.stopped } : {}),
  };
}

/**
 * Runs one step of a retention run. A bad payload throws RetentionPayloadError before anything
 * is read or written. The continuation is the step's last action: a step that fails before it
 * is retried as a whole (the same payload), and applying is resumable, so nothing is skipped.
 */
export async function runRetentionInvocation(
  deps: RetentionInvocationDeps,
  event: unknown,
  remainingMs: () => number,
): Promise<RetentionInvocationResult> {
  const p = parseRetentionPayload(event);
  const settings = { ...DEFAULT_INVOCATION_SETTINGS, ...deps.settings };
  const { retention } = deps;
  const log = retention.log;
  const ids = { runId: p.runId ?? deps.newRunId(), step: (p.continuation ?? 0) + 1 };
  log.info("retention step started", {
    ...ids,
    dryRun: p.dryRun,
    source: p.source ?? "manual",
    ...(p.repositories ? { repositories: p.repositories } : {}),
    ...(p.cursor !== undefined ? { after: p.cursor } : {}),
  });

  const result = await runRetention(retention, {
    apply: !p.dryRun,
    ...(p.repositories ? { repositories: p.repositories } : {}),
    ...(p.cursor !== undefined ? { after: p.cursor } : {}),
    shouldYield: () => remainingMs() < settings.safetyMarginMs,
    ...(settings.concurrency !== undefined ? { concurrency: settings.concurrency } : {}),
    // The run's alert comes from its last step, with the whole run's totals.
    alert: false,
  });
  logPlans(log, ids, result, p.dryRun);

  const registry = {
    kind: retention.registry.kind,
    registryId: retention.registry.registryId,
  };
  const step = summarizeRetention(result.plan, result.applied, {
    registry,
    errors: result.errors.map((e) => ({
      repository: e.repository,
      message: `${e.code}: ${e.message}`,
    })),
  });
  if (p.totals && p.totals.policyVersion !== step.policyVersion) {
    log.warn("the policy changed during the run; later repositories follow the new one", {
      ...ids,
      before: p.totals.policyVersion,
      now: step.policyVersion,
    });
  }
  const totals = addStep(p.totals, step);
  const stepRepositories = result.plan.repositories.length + result.errors.length;

  if (result.cursor !== undefined && ids.step <= settings.maxContinuations) {
    const next: RetentionPayload = {
      ...p,
      cursor: result.cursor,
      runId: ids.runId,
      continuation: ids.step,
      totals,
    };
    log.info("retention step yields; the run continues in a new invocation", {
      ...ids,
      cursor: result.cursor,
      remainingMs: remainingMs(),
    });
    await deps.continueWith(next);
    return resultOf(p, ids, stepRepositories, totals, { cursor: result.cursor, continued: true });
  }

  const stopped = result.cursor !== undefined ? ("max-continuations" as const) : undefined;
  if (stopped) {
    log.error("retention run stopped: too many continuations; resume it with the cursor", {
      ...ids,
      maxContinuations: settings.maxContinuations,
      cursor: result.cursor,
    });
  }
  const alert = buildRetentionAlert(
    runSummary(totals, {
      runId: ids.runId,
      dryRun: p.dryRun,
      registry: { ...registry, ...regionOf(result) },
      ...(result.cursor !== undefined ? { cursor: result.cursor } : {}),
    }),
  );
  try {
    await retention.alerts.publish(alert);
  } catch (err) {
    // Thrown so Lambda retries the step (applying again is resumable) and alarms.
    log.error("retention summary alert not published", { ...ids, error: errorText(err) });
    throw err;
  }
  log.info("retention run finished", {
    ...ids,
    ...resultOf(p, ids, stepRepositories, totals, { continued: false }),
  });
  return resultOf(p, ids, stepRepositories, totals, {
    ...(result.cursor !== undefined ? { cursor: result.cursor } : {}),
    continued: false,
    ...(stopped ? { stopped } : {}),
  });
}

function regionOf(result: RetentionRunResult): { region?: string } {
  const region = result.plan.repositories.find((r) => r.region)?.region;
  return region ? { region } : {};
}
