import { buildSignatureAlert } from "../domain/alert-signature.ts";
import type { AuditAction, AuditRecord } from "../domain/audit-record.ts";
import type { ImageRef } from "../domain/image.ts";
import { imageKey } from "../domain/image.ts";
import { resolveSignaturePolicy, type SignaturePolicy } from "../domain/signature-policy.ts";
import { describeSigner, type VerificationResult } from "../signatures/verification-result.ts";
import { verifyTrusted } from "../signatures/verify-trusted.ts";
import { auditInput, oncePerEvent, recordStep, type StepContext } from "./audit-step.ts";
import { asOwner, awaitOwner } from "./in-flight.ts";
import type { PipelineDeps } from "./pipeline-deps.ts";
import type { PipelineOutcome, PipelineStep } from "./pipeline-outcome.ts";
import { recordedPushTime } from "./recorded-push-time.ts";
import { signatureReaderOf } from "./signature-reader.ts";
import { signatureTrustFor } from "./signature-trust.ts";

/** Event type and id of the one deadline decision per image: its record is the lock. */
export const SIGNATURE_DEADLINE_EVENT = "signature-deadline";
export const signatureDeadlineId = (key: string) => `${SIGNATURE_DEADLINE_EVENT}:${key}`;

export interface SignatureRequest extends StepContext {
  image: ImageRef;
  /**
   * Whether this run may take the deadline decision (the sweep) or only verify (a signature
   * arriving: the push handler verifies and records, the sweep alone fails an image, so the
   * push handler needs no quarantine or publish rights).
   */
  deadline: boolean;
}

type FailAction = SignaturePolicy["onFail"];

/**
 * Enforces `signatures.required` for one image, when a signature arrives (verified at once) or
 * when the deadline sweep finds it unverified:
 * - a trusted signature (cosign or Notation) verifies it: `signature-verified` naming the key or
 *   identity, nothing else;
 * - none yet, before `gracePeriod` after the push ran out: `signature-pending`, nothing else;
 * - none at or after the deadline: `signature-failed`, then onFail (quarantine) and an alert.
 *
 * The failure is decided once per image, by the deadline sweep, under the event id
 * `signature-deadline:<imageKey>`; a signature that arrives unverified after the deadline leaves
 * it to that sweep (which runs every few minutes). Its record is the lock, as
 * the gate record is for decideImage: a concurrent delivery follows it and only finishes the
 * effects left undone. A verified image is not verified again. Returns null when the
 * repository does not require signatures.
 */
export async function decideSignatures(
  deps: PipelineDeps,
  req: SignatureRequest,
): Promise<PipelineOutcome | null> {
  const policy = resolveSignaturePolicy(deps.policy, req.image.repository);
  if (!policy.required) return null;
  const key = imageKey(req.image);
  const base = { eventId: req.eventId, kind: req.eventType, image: key };
  const history = await deps.audit.byImage(key);
  const verified = history.find((r) => r.action === "signature-verified");
  if (verified) {
    return {
      ...base,
      status: "decided",
      verdict: "pass",
      steps: [{ action: "signature-verified", status: "duplicate", detail: verified.detail ?? {} }],
      note: "signature already verified",
    };
  }
  const deadlineCtx: StepContext = {
    eventId: signatureDeadlineId(key),
    eventType: SIGNATURE_DEADLINE_EVENT,
  };
  const prior = await deps.audit.find(key, deadlineCtx.eventId, "signature-failed");
  if (prior && req.deadline) return followFailure(deps, deadlineCtx, req, prior, policy);

  const resolved = await deps.registry.resolveImage(req.image);
  if (!resolved) return { ...base, status: "image-gone", steps: [] };
  if (resolved.quarantined) {
    return { ...base, status: "recorded", steps: [], note: "quarantined: signatures not read" };
  }
  const image: ImageRef = {
    ...resolved.ref,
    tags: [...new Set([...resolved.ref.tags, ...req.image.tags])].sort(),
  };
  const result = await verify(deps, image, policy);
  if (result.verified) {
    const { verified: _, tried, ...signer } = result;
    const step = await recordStep(deps.audit, req, image, "signature-verified", {
      verdict: "pass",
      reasons: [describeSigner(result)],
      policyVersion: policy.version,
      detail: {
        signedBy: describeSigner(result),
        ...("key" in signer ? { key: signer.key } : { identity: signer.identity }),
        signature: result.signature,
        tried: tried.length,
      },
    });
    return { ...base, status: "decided", verdict: "pass", steps: [step] };
  }

  const reasons = reasonsOf(result);
  const pushedAt =
    (await recordedPushTime(deps.audit, image)) ?? resolved.pushedAt ?? firstRecordTime(history);
  const now = deps.clock();
  const deadline = pushedAt
    ? new Date(Date.parse(pushedAt) + policy.gracePeriodMinutes * 60_000).toISOString()
    : undefined;
  if (prior || (!req.deadline && deadline && Date.parse(deadline) <= now.getTime())) {
    return {
      ...base,
      status: "recorded",
      steps: [],
      note: prior
        ? "no trusted signature; the image already failed its signature deadline"
        : "no trusted signature and the grace period is over: the deadline sweep decides",
    };
  }
  if (!deadline || Date.parse(deadline) > now.getTime()) {
    const step = await recordStep(deps.audit, req, image, "signature-pending", {
      reasons,
      policyVersion: policy.version,
      detail: { deadline: deadline ?? null, reason: result.reason },
    });
    return {
      ...base,
      status: "pending",
      steps: [step],
      note: deadline ? `no trusted signature yet; deadline ${deadline}` : "push time unknown",
    };
  }

  const failed = await deps.audit.append(
    auditInput(deadlineCtx, image, "signature-failed", {
      verdict: "fail",
      reasons,
      policyVersion: policy.version,
      detail: { onFail: policy.onFail, deadline, reason: result.reason, foundBy: req.eventId },
    }),
  );
  if (failed.duplicate) return followFailure(deps, deadlineCtx, req, failed.record, policy);
  const steps: PipelineStep[] = [{ action: "signature-failed", status: "done" }];
  steps.push(
    ...(await asOwner(deps.audit, failed.record, () =>
      carryOut(deps, deadlineCtx, image, failed.record, policy.onFail),
    )),
  );
  return { ...base, status: "decided", verdict: "fail", steps };
}

/** The deadline decision is recorded: wait for its owner, or finish what it left undone. */
async function followFailure(
  deps: PipelineDeps,
  ctx: StepContext,
  req: SignatureRequest,
  record: AuditRecord,
  policy: SignaturePolicy,
): Promise<PipelineOutcome> {
  const onFail = recordedOnFail(record) ?? policy.onFail;
  const image: ImageRef = { ...req.image, tags: record.tags };
  const steps: PipelineStep[] = [{ action: "signature-failed", status: "duplicate" }];
  await awaitOwner(deps, record, effectsOf(onFail));
  steps.push(
    ...(await asOwner(deps.audit, record, () => carryOut(deps, ctx, image, record, onFail))),
  );
  return {
    eventId: req.eventId,
    kind: req.eventType,
    image: imageKey(req.image),
    status: "decided",
    verdict: "fail",
    steps,
  };
}

function effectsOf(onFail: FailAction): AuditAction[] {
  return onFail === "quarantine" ? ["quarantined", "alert-sent"] : ["alert-sent"];
}

/** onFail and the alert of a failed deadline, each at most once. */
async function carryOut(
  deps: PipelineDeps,
  ctx: StepContext,
  image: ImageRef,
  record: AuditRecord,
  onFail: FailAction,
): Promise<PipelineStep[]> {
  const steps: PipelineStep[] = [];
  const policyVersion = record.policyVersion ?? "";
  if (onFail === "quarantine") {
    steps.push(
      await oncePerEvent(deps.audit, ctx, image, "quarantined", async () => {
        const r = await deps.registry.quarantine(image);
        return {
          verdict: "fail",
          policyVersion,
          detail: { alreadyQuarantined: r.alreadyQuarantined, reason: "signature-failed" },
        };
      }),
    );
  }
  steps.push(
    await oncePerEvent(deps.audit, ctx, image, "alert-sent", async () => {
      const alert = buildSignatureAlert({
        image,
        action: onFail === "quarantine" ? "quarantined" : "alerted",
        eventId: ctx.eventId,
        policyVersion,
        deadline: String(record.detail?.deadline ?? record.recordedAt),
        reasons: record.reasons ?? [],
      });
      const { messageId } = await deps.alerts.publish(alert);
      return { detail: { subject: alert.subject, ...(messageId ? { messageId } : {}) } };
    }),
  );
  return steps;
}

async function verify(
  deps: PipelineDeps,
  image: ImageRef,
  policy: SignaturePolicy,
): Promise<VerificationResult> {
  const reader = signatureReaderOf(deps.registry);
  if (!reader) {
    deps.log.warn("this registry adapter cannot read signatures", { image: imageKey(image) });
    return { verified: false, imageDigest: image.digest, reason: "no-signatures", tried: [] };
  }
  const read = await reader.readSignatures(image);
  const trust = await signatureTrustFor(deps.policy, policy, deps.kms);
  return verifyTrusted({
    imageDigest: read.imageDigest,
    imageManifest: read.imageManifest,
    candidates: read.candidates,
    repository: image.repository,
    ...registryHost(image),
    keys: trust.keys,
    ...(trust.keyless ? { keyless: trust.keyless } : {}),
    ...(trust.notation
      ? {
          notation: trust.notation,
          notationCandidates: read.notationCandidates ?? [],
          // Certificates and signature expiry are checked at the pipeline's time.
          now: deps.clock(),
        }
      : {}),
    options: { matchReference: policy.matchReference },
  });
}

/** The host a signed docker-reference names, for matchReference. */
function registryHost(image: ImageRef): { registry?: string } {
  if (image.registry === "oci") return { registry: image.registryId };
  return image.region
    ? { registry: `${image.registryId}.dkr.ecr.${image.region}.amazonaws.com` }
    : {};
}

/** One line per signature tried; the audit record and the alert carry these. */
export function reasonsOf(result: VerificationResult): string[] {
  if (result.verified) return [];
  if (result.tried.length === 0) return ["no signatures found"];
  return result.tried.flatMap((t) =>
    t.verified
      ? []
      : [
          `${t.candidate.format} ${t.candidate.source.kind} ${t.candidate.source.manifestDigest}: ${t.failure.code}: ${t.failure.message}`,
        ],
  );
}

function recordedOnFail(record: AuditRecord): FailAction | undefined {
  const v = record.detail?.onFail;
  return v === "alert" || v === "quarantine" ? v : undefined;
}

function firstRecordTime(history: readonly AuditRecord[]): string | undefined {
  return history.find((r) => r.eventType === "image-pushed")?.recordedAt;
}
