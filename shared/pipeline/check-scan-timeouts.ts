import type { AuditRecord } from "../domain/audit-record.ts";
import { type ImageRef, parseImageKey } from "../domain/image.ts";
import { resolvePolicy } from "../domain/policy-resolve.ts";
import { decideImage } from "./decide-image.ts";
import { DecisionInProgressError } from "./in-flight.ts";
import type { PipelineDeps } from "./pipeline-deps.ts";
import type { PipelineOutcome } from "./pipeline-outcome.ts";
import { ScanTimeoutSweepError } from "./scan-timeout-sweep-error.ts";

export interface ScanTimeoutOptions {
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

/**
 * The scheduled sweep that makes `requireScan` real: a pushed image with no gate decision once
 * its repository's scan timeout has passed is decided now (and fails if still unscanned). The
 * event id is derived from the image, so overlapping sweeps decide an image once: the second
 * follows the first's recorded decision, or skips the image while the first is still at it.
 *
 * One image that cannot be decided (registry error, digest mismatch) does not stop the others:
 * the sweep finishes, then throws ScanTimeoutSweepError naming the failures, so the run shows
 * as failed (alarm, retry) instead of starving every image queued behind a bad one.
 */
export async function checkScanTimeouts(
  deps: PipelineDeps,
  { lookbackHours = 24, maxImages = 500, owns }: ScanTimeoutOptions = {},
): Promise<PipelineOutcome[]> {
  const ours = owns ?? ((ref: Pick<ImageRef, "registry">) => ref.registry === deps.registry.kind);
  const now = deps.clock();
  const pushes = await deps.audit.byEventType("image-pushed", {
    from: new Date(now.getTime() - lookbackHours * 3_600_000).toISOString(),
    to: now.toISOString(),
  });
  const firstPush = new Map<string, AuditRecord>();
  for (const r of pushes) if (!firstPush.has(r.imageKey)) firstPush.set(r.imageKey, r);

  const outcomes: PipelineOutcome[] = [];
  const failures: { image: string; error: unknown }[] = [];
  for (const [key, push] of firstPush) {
    if (outcomes.length + failures.length >= maxImages) break;
    const ref = parseImageKey(key);
    if (!ref || !ours(ref)) continue;
    const policy = resolvePolicy(deps.policy, push.repository);
    if (!policy.gate.requireScan) continue;
    const pushedAt = String(push.detail?.pushedAt ?? push.recordedAt);
    const due = Date.parse(pushedAt) + policy.gate.scanTimeoutMinutes * 60_000;
    if (due > now.getTime()) continue;
    const history = await deps.audit.byImage(key);
    // Decided already (by its scan event or an earlier sweep), or deleted: nothing to wait for.
    if (history.some((r) => r.action === "gate-evaluated" || r.action === "image-deleted")) {
      continue;
    }
    try {
      outcomes.push(
        await decideImage(deps, {
          eventId: `scan-timeout:${key}`,
          eventType: "scan-timeout-check",
          image: { ...ref, tags: push.tags },
          pushedAt,
        }),
      );
    } catch (error) {
      if (error instanceof DecisionInProgressError) {
        deps.log.info("another sweep is deciding this image", { image: key });
        continue;
      }
      deps.log.error("scan-timeout decision failed", {
        image: key,
        error: error instanceof Error ? error.message : String(error),
      });
      failures.push({ image: key, error });
    }
  }
  if (failures.length > 0) throw new ScanTimeoutSweepError(failures, outcomes);
  return outcomes;
}
