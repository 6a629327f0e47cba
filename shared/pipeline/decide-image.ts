import { buildGateAlert } from "../domain/alert-message.ts";
import type { AuditAction, AuditRecord } from "../domain/audit-record.ts";
import type { ImageRef } from "../domain/image.ts";
import { imageKey } from "../domain/image.ts";
import { resolvePolicy } from "../domain/policy-resolve.ts";
import { gateDecision, summarizeVerdict } from "../domain/severity-gate.ts";
import type { GateVerdict } from "../domain/verdict.ts";
import { auditInput, oncePerEvent, recordStep, type StepContext } from "./audit-step.ts";
import { asOwner, awaitOwner } from "./in-flight.ts";
import type { PipelineDeps } from "./pipeline-deps.ts";
import type { PipelineOutcome, PipelineStep } from "./pipeline-outcome.ts";
import { type OnFail, recordedDecision, verdictDetail } from "./recorded-verdict.ts";
import { scanForGate } from "./scan-report-signatures.ts";

export interface DecideRequest extends StepContext {
  image: ImageRef;
  /** When the image was pushed, if known: starts the scan timeout. */
  pushedAt?: string;
  /** When set, an `event-received` record with this detail is written once the digest is verified. */
  received?: Record<string, unknown>;
}

/** A decision to carry out: the verdict, what the policy said to do on failure, under which version. */
interface Decision {
  verdict: GateVerdict;
  onFail: OnFail;
  policyVersion: string;
}

/**
 * The gate for one image: read its findings, decide under its repository's policy, and on
 * failure quarantine (when the policy says so) and alert. Each step is audited and runs at most
 * once per event, so a redelivered event changes nothing.
 *
 * One event, one decision. The first delivery to record the gate decision owns it; every other
 * delivery of the same event (a redelivery, or a copy running at the same time) follows the
 * recorded decision and never decides again, even if the findings changed in between. It only
 * finishes what the owner left undone (see in-flight.ts for how it tells "still running" from
 * "failed").
 *
 * A quarantined image is not decided again. The gate would have to judge it on `scan: null`: an
 * archived ECR image can be neither scanned nor read (its manifest is not served, so its digest
 * cannot even be verified), and the verdict would be made up: a requireScan failure with a
 * misleading reason, a pass when requireScan is off, or "pending" that the sweep then fails.
 * Quarantine already blocks the image, and a second alert about it would be noise. So a new
 * event for a quarantined image (a late scan event, Inspector's rescan, the sweep) is recorded
 * (`event-received`) and otherwise a no-op; `release` is what re-opens an image to decisions.
 * The redelivery of the very event that quarantined it is not a new decision: it finishes the
 * recorded one, whose alert is rebuilt from the gate record (recorded-verdict.ts).
 */
export async function decideImage(
  deps: PipelineDeps,
  req: DecideRequest,
): Promise<PipelineOutcome> {
  const base = { eventId: req.eventId, kind: req.eventType };
  // Verifies the digest from the manifest bytes (DigestMismatchError) before anything is written.
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

  const prior = await deps.audit.find(key, req.eventId, "gate-evaluated");
  if (prior) return followRecorded(deps, req, image, prior, steps);
  if (resolved.quarantined) {
    deps.log.info("image is quarantined; not decided again until it is released", { image: key });
    return {
      ...base,
      image: key,
      status: "recorded",
      steps,
      note: "already quarantined: not decided again (release it to have it judged anew)",
    };
  }

  const policy = resolvePolicy(deps.policy, image.repository);
  const now = deps.clock();
  const scan = await scanForGate(deps, image);
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
  const gate = await deps.audit.append(
    auditInput(req, image, "gate-evaluated", {
      verdict: verdict.verdict,
      reasons: summarizeVerdict(verdict),
      policyVersion: policy.version,
      detail: verdictDetail(verdict, {
        onFail: policy.gate.onFail,
        matchedRules: policy.matchedRules,
      }),
    }),
  );
  // Lost the race to a delivery of the same event that ran alongside: its decision governs.
  if (gate.duplicate) return followRecorded(deps, req, image, gate.record, steps);

  steps.push({ action: "gate-evaluated", status: "done" });
  const own: Decision = { verdict, onFail: policy.gate.onFail, policyVersion: policy.version };
  steps.push(...(await asOwner(deps.audit, gate.record, () => carryOut(deps, req, image, own))));
  return { ...base, image: key, status: "decided", verdict: verdict.verdict, gate: verdict, steps };
}

/** Another delivery recorded this event's decision: wait for it, or finish what it left undone. */
async function followRecorded(
  deps: PipelineDeps,
  req: DecideRequest,
  image: ImageRef,
  record: AuditRecord,
  steps: PipelineStep[],
): Promise<PipelineOutcome> {
  const recorded = recordedDecision(record);
  const decision: Decision = {
    verdict: recorded.verdict,
    // Records written before onFail was kept fall back to what the policy says now.
    onFail: recorded.onFail ?? resolvePolicy(deps.policy, image.repository).gate.onFail,
    policyVersion: record.policyVersion ?? recorded.verdict.policyVersion,
  };
  steps.push({ action: "gate-evaluated", status: "duplicate" });
  const needed = effectsOf(decision);
  if (needed.length > 0) {
    await awaitOwner(deps, record, needed);
    // Whatever is still missing now was abandoned by its owner: this delivery finishes it.
    steps.push(...(await asOwner(deps.audit, record, () => carryOut(deps, req, image, decision))));
  }
  return {
    eventId: req.eventId,
    kind: req.eventType,
    image: imageKey(image),
    status: "decided",
    verdict: decision.verdict.verdict,
    gate: decision.verdict,
    steps,
  };
}

function effectsOf(d: Decision): AuditAction[] {
  if (d.verdict.verdict !== "fail") return [];
  return d.onFail === "quarantine" ? ["quarantined", "alert-sent"] : ["alert-sent"];
}

/** The effects of a failed gate, in order, each at most once per event. */
async function carryOut(
  deps: PipelineDeps,
  req: DecideRequest,
  image: ImageRef,
  d: Decision,
): Promise<PipelineStep[]> {
  const steps: PipelineStep[] = [];
  if (d.verdict.verdict !== "fail") return steps;
  if (d.onFail === "quarantine") {
    steps.push(
      await oncePerEvent(deps.audit, req, image, "quarantined", async () => {
        const r = await deps.registry.quarantine(image);
        return {
          verdict: "fail",
          policyVersion: d.policyVersion,
          detail: { alreadyQuarantined: r.alreadyQuarantined },
        };
      }),
    );
  }
  steps.push(
    await oncePerEvent(deps.audit, req, image, "alert-sent", async () => {
      const alert = buildGateAlert({
        image,
        verdict: d.verdict,
        action: d.onFail === "quarantine" ? "quarantined" : "alerted",
        eventId: req.eventId,
        policyVersion: d.policyVersion,
        ...(req.principal ? { principal: req.principal } : {}),
      });
      const { messageId } = await deps.alerts.publish(alert);
      return { detail: { subject: alert.subject, ...(messageId ? { messageId } : {}) } };
    }),
  );
  return steps;
}
