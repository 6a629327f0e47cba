import { buildGateAlert } from "../domain/alert-message.ts";
import type { ImageRef } from "../domain/image.ts";
import { imageKey } from "../domain/image.ts";
import { resolvePolicy } from "../domain/policy-resolve.ts";
import { gateDecision, summarizeVerdict } from "../domain/severity-gate.ts";
import type { GateVerdict } from "../domain/verdict.ts";
import { auditInput, oncePerEvent, recordStep, type StepContext } from "./audit-step.ts";
import type { PipelineDeps } from "./pipeline-deps.ts";
import type { PipelineOutcome, PipelineStep } from "./pipeline-outcome.ts";

export interface DecideRequest extends StepContext {
  image: ImageRef;
  /** When the image was pushed, if known: starts the scan timeout. */
  pushedAt?: string;
  /** When set, an `event-received` record with this detail is written once the digest is verified. */
  received?: Record<string, unknown>;
}

/** Finding ids kept in an audit record: enough to explain, small enough for a DynamoDB item. */
const MAX_IDS_IN_RECORD = 50;

/**
 * The gate for one image: read its findings, decide under its repository's policy, and on
 * failure quarantine (when the policy says so) and alert. Each step is audited and runs at most
 * once per event, so a redelivered event changes nothing.
 */
export async function decideImage(
  deps: PipelineDeps,
  req: DecideRequest,
): Promise<PipelineOutcome> {
  const base = { eventId: req.eventId, kind: req.eventType };
  const resolved = await deps.registry.resolveImage(req.image);
  if (!resolved) {
    deps.log.warn("image no longer exists; nothing to decide", { image: imageKey(req.image) });
    return { ...base, image: imageKey(req.image), status: "image-gone", steps: [] };
  }
  const image: ImageRef = {
    ...resolved.ref,
    tags: [...new Set([...resolved.ref.tags, ...req.image.tags])].sort(),
  };
  const key = imageKey(image);
  const steps: PipelineStep[] = [];
  if (req.received)
    steps.push(
      await recordStep(deps.audit, req, image, "event-received", { detail: req.received }),
    );
  const policy = resolvePolicy(deps.policy, image.repository);
  const now = deps.clock();

  const scan = resolved.quarantined ? null : await deps.registry.getScanResult(image);
  const pushedAt = req.pushedAt ?? resolved.pushedAt;
  const decision = gateDecision({ scan, policy, now, ...(pushedAt ? { pushedAt } : {}) });
  if (decision.status === "pending") {
    deps.log.info("scan not complete yet; the scan-timeout check will decide", {
      image: key,
      retryAfter: decision.retryAfter,
    });
    return {
      ...base,
      image: key,
      status: "pending",
      steps,
      note: `retry after ${decision.retryAfter}`,
    };
  }

  const verdict = decision.verdict;
  const gateRecord = await deps.audit.append(
    auditInput(req, image, "gate-evaluated", {
      verdict: verdict.verdict,
      reasons: summarizeVerdict(verdict),
      policyVersion: policy.version,
      detail: compactVerdict(verdict, policy.matchedRules),
    }),
  );
  steps.push({ action: "gate-evaluated", status: gateRecord.duplicate ? "duplicate" : "done" });
  // A redelivery follows the decision recorded first, even if findings changed in between.
  const failed = (gateRecord.record.verdict ?? verdict.verdict) === "fail";

  if (failed && policy.gate.onFail === "quarantine") {
    steps.push(
      await oncePerEvent(deps.audit, req, image, "quarantined", async () => {
        const r = await deps.registry.quarantine(image);
        return {
          verdict: "fail",
          policyVersion: policy.version,
          detail: { alreadyQuarantined: r.alreadyQuarantined },
        };
      }),
    );
  }
  if (failed) {
    steps.push(
      await oncePerEvent(deps.audit, req, image, "alert-sent", async () => {
        const alert = buildGateAlert({
          image,
          verdict,
          action: policy.gate.onFail === "quarantine" ? "quarantined" : "alerted",
          eventId: req.eventId,
          policyVersion: policy.version,
          ...(req.principal ? { principal: req.principal } : {}),
        });
        const { messageId } = await deps.alerts.publish(alert);
        return { detail: { subject: alert.subject, ...(messageId ? { messageId } : {}) } };
      }),
    );
  }
  return { ...base, image: key, status: "decided", verdict: verdict.verdict, gate: verdict, steps };
}

function compactVerdict(v: GateVerdict, matchedRules: string[]): Record<string, unknown> {
  const blocking = new Set<string>();
  for (const r of v.reasons) if ("findings" in r) for (const f of r.findings) blocking.add(f.id);
  return {
    counts: v.counts,
    totalCounts: v.totalCounts,
    blockingIds: [...blocking].slice(0, MAX_IDS_IN_RECORD),
    blockingTotal: blocking.size,
    allowlisted: v.allowlisted.map((u) => ({ id: u.entry.id, findings: u.findingIds.length })),
    expiredAllowlist: v.expiredAllowlist.map((u) => ({ id: u.entry.id, expires: u.entry.expires })),
    ignored: v.ignored,
    matchedRules,
  };
}
