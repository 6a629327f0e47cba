import { resolvePolicy } from "../domain/policy-resolve.ts";
import { decideImage } from "./decide-image.ts";
import type { PipelineDeps } from "./pipeline-deps.ts";
import type { PipelineOutcome } from "./pipeline-outcome.ts";
import { type PushSweepOptions, pushedAtOf, sweepRecentPushes } from "./push-sweep.ts";

export type ScanTimeoutOptions = PushSweepOptions;

/**
 * The scheduled sweep that makes `requireScan` real: a pushed image with no gate decision once
 * its repository's scan timeout has passed is decided now (and fails if still unscanned). The
 * event id is derived from the image, so overlapping sweeps decide an image once: the second
 * follows the first's recorded decision, or skips the image while the first is still at it.
 * Failures of single images: see sweepRecentPushes.
 */
export function checkScanTimeouts(
  deps: PipelineDeps,
  options: ScanTimeoutOptions = {},
): Promise<PipelineOutcome[]> {
  return sweepRecentPushes(deps, options, {
    name: "scan-timeout sweep",
    decide: async ({ key, ref, push, now }) => {
      const policy = resolvePolicy(deps.policy, push.repository);
      if (!policy.gate.requireScan) return undefined;
      const pushedAt = pushedAtOf(push);
      const due = Date.parse(pushedAt) + policy.gate.scanTimeoutMinutes * 60_000;
      if (due > now.getTime()) return undefined;
      const history = await deps.audit.byImage(key);
      // Decided already (by its scan event or an earlier sweep), or deleted: nothing to wait for.
      if (history.some((r) => r.action === "gate-evaluated" || r.action === "image-deleted")) {
        return undefined;
      }
      return decideImage(deps, {
        eventId: `scan-timeout:${key}`,
        eventType: "scan-timeout-check",
        image: { ...ref, tags: push.tags },
        pushedAt,
      });
    },
  });
}
