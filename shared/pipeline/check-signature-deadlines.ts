import { policyRequiresSignatures, resolveSignaturePolicy } from "../domain/signature-policy.ts";
import type { ScanTimeoutOptions } from "./check-scan-timeouts.ts";
import {
  decideSignatures,
  SIGNATURE_DEADLINE_EVENT,
  signatureDeadlineId,
} from "./decide-signatures.ts";
import type { PipelineDeps } from "./pipeline-deps.ts";
import type { PipelineOutcome } from "./pipeline-outcome.ts";
import { pushedAtOf, sweepRecentPushes } from "./push-sweep.ts";
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
  options: ScanTimeoutOptions = {},
): Promise<PipelineOutcome[]> {
  // A policy that requires no signatures anywhere costs the sweep no read at all.
  if (!policyRequiresSignatures(deps.policy)) return [];
  return sweepRecentPushes(deps, options, {
    name: "signature-deadline sweep",
    decide: async ({ key, ref, push, now }) => {
      if (push.tags.length > 0 && push.tags.every((t) => SUBJECT_TAG_RE.test(t))) return undefined;
      const policy = resolveSignaturePolicy(deps.policy, push.repository);
      if (!policy.required) return undefined;
      const due = Date.parse(pushedAtOf(push)) + policy.gracePeriodMinutes * 60_000;
      if (due > now.getTime()) return undefined;
      const history = await deps.audit.byImage(key);
      const settled = history.some(
        (r) =>
          r.action === "signature-verified" ||
          r.action === "image-deleted" ||
          (r.action === "signature-failed" && r.eventId === signatureDeadlineId(key)),
      );
      if (settled) return undefined;
      return decideSignatures(deps, {
        eventId: signatureDeadlineId(key),
        eventType: SIGNATURE_DEADLINE_EVENT,
        image: { ...ref, tags: push.tags },
        deadline: true,
      });
    },
  });
}
