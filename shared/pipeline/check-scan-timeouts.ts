import type { AuditRecord } from "../domain/audit-record.ts";
import { parseImageKey } from "../domain/image.ts";
import { resolvePolicy } from "../domain/policy-resolve.ts";
import { decideImage } from "./decide-image.ts";
import type { PipelineDeps } from "./pipeline-deps.ts";
import type { PipelineOutcome } from "./pipeline-outcome.ts";

export interface ScanTimeoutOptions {
  /** How far back to look for pushes still waiting for a decision. */
  lookbackHours?: number;
  /** Upper bound of images decided per run; the next run continues. */
  maxImages?: number;
}

/**
 * The scheduled sweep that makes `requireScan` real: a pushed image with no gate decision once
 * its repository's scan timeout has passed is decided now (and fails if still unscanned). The
 * event id is derived from the image, so overlapping sweeps decide an image once.
 */
export async function checkScanTimeouts(
  deps: PipelineDeps,
  { lookbackHours = 24, maxImages = 500 }: ScanTimeoutOptions = {},
): Promise<PipelineOutcome[]> {
  const now = deps.clock();
  const pushes = await deps.audit.byEventType("image-pushed", {
    from: new Date(now.getTime() - lookbackHours * 3_600_000).toISOString(),
    to: now.toISOString(),
  });
  const firstPush = new Map<string, AuditRecord>();
  for (const r of pushes) if (!firstPush.has(r.imageKey)) firstPush.set(r.imageKey, r);

  const outcomes: PipelineOutcome[] = [];
  for (const [key, push] of firstPush) {
    if (outcomes.length >= maxImages) break;
    const policy = resolvePolicy(deps.policy, push.repository);
    const pushedAt = String(push.detail?.pushedAt ?? push.recordedAt);
    const due = Date.parse(pushedAt) + policy.gate.scanTimeoutMinutes * 60_000;
    if (!policy.gate.requireScan || due > now.getTime()) continue;
    const history = await deps.audit.byImage(key);
    if (history.some((r) => r.action === "gate-evaluated")) continue;
    const ref = parseImageKey(key);
    if (!ref) continue;
    outcomes.push(
      await decideImage(deps, {
        eventId: `scan-timeout:${key}`,
        eventType: "scan-timeout-check",
        image: { ...ref, tags: push.tags },
        pushedAt,
      }),
    );
  }
  return outcomes;
}
