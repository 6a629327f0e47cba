import type { AuditRecord } from "../domain/audit-record.ts";
import { type ImageRef, parseImageKey } from "../domain/image.ts";
import { DecisionInProgressError } from "./in-flight.ts";
import type { PipelineDeps } from "./pipeline-deps.ts";
import type { PipelineOutcome } from "./pipeline-outcome.ts";
import { ScanTimeoutSweepError } from "./scan-timeout-sweep-error.ts";

export interface PushSweepOptions {
  /** How far back to look for pushes still waiting for a decision. */
  lookbackHours?: number;
  /** Upper bound of images decided per run; the next run continues. */
  maxImages?: number;
  /**
   * Which images this sweep's registry adapter decides. Default: those of its kind. A deployment
   * with several registries runs one sweep per adapter, each over its own images only (an OCI
   * adapter also checks the host: one receiver, one registry).
   */
  owns?: (ref: Pick<ImageRef, "registry" | "registryId">) => boolean;
}

/** One recorded push the sweep looks at. */
export interface SweptPush {
  key: string;
  ref: Pick<ImageRef, "registry" | "registryId" | "repository" | "digest">;
  /** The image's first push record in the window (its detail carries pushedAt). */
  push: AuditRecord;
  now: Date;
}

/**
 * The skeleton of the scheduled sweeps over recent pushes (scan timeouts, signature deadlines):
 * each image's first push record in the window, the adapter's own images only, at most
 * `maxImages` decisions. `decide` returns an outcome, or nothing when the image needs nothing.
 *
 * One image that cannot be decided (registry error, digest mismatch) does not stop the others:
 * the sweep finishes, then throws ScanTimeoutSweepError naming the failures, so the run shows
 * as failed (alarm, retry) instead of starving every image queued behind a bad one. An image
 * another sweep is deciding right now is skipped.
 */
export async function sweepRecentPushes(
  deps: PipelineDeps,
  { lookbackHours = 24, maxImages = 500, owns }: PushSweepOptions,
  sweep: { name: string; decide: (p: SweptPush) => Promise<PipelineOutcome | null | undefined> },
): Promise<PipelineOutcome[]> {
  const ours = owns ?? ((ref: Pick<ImageRef, "registry">) => ref.registry === deps.registry.kind);
  const now = deps.clock();
  const pushes = await deps.audit.byEventType("image-pushed", {
    from: new Date(now.getTime() - lookbackHours * 3_600_000).toISOString(),
    to: now.toISOString(),
  });
  const firstPush = new Map<string, AuditRecord>();
  for (const r of pushes) {
    if (r.action === "event-received" && !firstPush.has(r.imageKey)) firstPush.set(r.imageKey, r);
  }

  const outcomes: PipelineOutcome[] = [];
  const failures: { image: string; error: unknown }[] = [];
  for (const [key, push] of firstPush) {
    if (outcomes.length + failures.length >= maxImages) break;
    const ref = parseImageKey(key);
    if (!ref || !ours(ref)) continue;
    try {
      const outcome = await sweep.decide({ key, ref, push, now });
      if (outcome) outcomes.push(outcome);
    } catch (error) {
      if (error instanceof DecisionInProgressError) {
        deps.log.info(`another ${sweep.name} is deciding this image`, { image: key });
        continue;
      }
      deps.log.error(`${sweep.name} decision failed`, {
        image: key,
        error: error instanceof Error ? error.message : String(error),
      });
      failures.push({ image: key, error });
    }
  }
  if (failures.length > 0) throw new ScanTimeoutSweepError(failures, outcomes, sweep.name);
  return outcomes;
}

/** When the image was pushed: the notification's time, else when its push was recorded. */
export function pushedAtOf(push: AuditRecord): string {
  return String(push.detail?.pushedAt ?? push.recordedAt);
}
