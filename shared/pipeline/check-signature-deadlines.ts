import type { AuditRecord } from "../domain/audit-record.ts";
import { type ImageRef, parseImageKey } from "../domain/image.ts";
import { policyRequiresSignatures, resolveSignaturePolicy } from "../domain/signature-policy.ts";
import type { ScanTimeoutOptions } from "./check-scan-timeouts.ts";
import {
  decideSignatures,
  SIGNATURE_DEADLINE_EVENT,
  signatureDeadlineId,
} from "./decide-signatures.ts";
import { DecisionInProgressError } from "./in-flight.ts";
import type { PipelineDeps } from "./pipeline-deps.ts";
import type { PipelineOutcome } from "./pipeline-outcome.ts";
import { ScanTimeoutSweepError } from "./scan-timeout-sweep-error.ts";
import { SUBJECT_TAG_RE } from "./subject-of.ts";

/**
 * The scheduled sweep that makes `signatures.required` real: a pushed image of a repository
 * that requires signatures, with no verified signature once `gracePeriod` after its push has
 * passed, is decided now (signature-failed, onFail, alert; or verified, if a signature arrived
 * unnoticed). Runs next to the scan-timeout sweep, with the same options. The event id
 * `signature-deadline:<imageKey>` makes overlapping sweeps decide an image once.
 * Manifests pushed under cosign's own tags (`sha256-<hex>.sig`, …) are signatures, not images.
 */
export async function checkSignatureDeadlines(
  deps: PipelineDeps,
  { lookbackHours = 24, maxImages = 500, owns }: ScanTimeoutOptions = {},
): Promise<PipelineOutcome[]> {
  // A policy that requires no signatures anywhere costs the sweep no read at all.
  if (!policyRequiresSignatures(deps.policy)) return [];
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
    if (push.tags.length > 0 && push.tags.every((t) => SUBJECT_TAG_RE.test(t))) continue;
    try {
      const policy = resolveSignaturePolicy(deps.policy, push.repository);
      if (!policy.required) continue;
      const pushedAt = String(push.detail?.pushedAt ?? push.recordedAt);
      const due = Date.parse(pushedAt) + policy.gracePeriodMinutes * 60_000;
      if (due > now.getTime()) continue;
      const history = await deps.audit.byImage(key);
      const settled = history.some(
        (r) =>
          r.action === "signature-verified" ||
          r.action === "image-deleted" ||
          (r.action === "signature-failed" && r.eventId === signatureDeadlineId(key)),
      );
      if (settled) continue;
      const outcome = await decideSignatures(deps, {
        eventId: signatureDeadlineId(key),
        eventType: SIGNATURE_DEADLINE_EVENT,
        image: { ...ref, tags: push.tags },
        deadline: true,
      });
      if (outcome) outcomes.push(outcome);
    } catch (error) {
      if (error instanceof DecisionInProgressError) {
        deps.log.info("another sweep is deciding this image's signatures", { image: key });
        continue;
      }
      deps.log.error("signature deadline decision failed", {
        image: key,
        error: error instanceof Error ? error.message : String(error),
      });
      failures.push({ image: key, error });
    }
  }
  if (failures.length > 0) throw new ScanTimeoutSweepError(failures, outcomes);
  return outcomes;
}
