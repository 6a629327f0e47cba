import { randomUUID } from "node:crypto";
import { buildReleaseAlert } from "../domain/alert-message.ts";
import type { ImageRef } from "../domain/image.ts";
import { imageKey } from "../domain/image.ts";
import { oncePerEvent } from "./audit-step.ts";
import type { PipelineDeps } from "./pipeline-deps.ts";
import type { PipelineOutcome } from "./pipeline-outcome.ts";

export class ReleaseError extends Error {
  readonly code: "RELEASE_NO_REASON" | "RELEASE_NO_PRINCIPAL" | "RELEASE_NOT_FOUND";
  constructor(code: ReleaseError["code"], message: string) {
    super(message);
    this.name = "ReleaseError";
    this.code = code;
  }
}

export interface ReleaseRequest {
  image: ImageRef;
  reason: string;
  /** Who released it (IAM ARN or user): recorded and alerted. */
  principal: string;
  /** Defaults to a fresh id: every release is its own decision. */
  eventId?: string;
}

/** Restores a quarantined image after review, recording who and why, and tells subscribers. */
export async function releaseImage(
  deps: PipelineDeps,
  req: ReleaseRequest,
): Promise<PipelineOutcome> {
  const reason = req.reason.trim();
  if (reason.length < 3) {
    throw new ReleaseError(
      "RELEASE_NO_REASON",
      "a release needs --reason explaining the review (at least 3 characters)",
    );
  }
  // An unattributed release would leave the audit trail unable to say who lifted the block.
  if (!req.principal.trim()) {
    throw new ReleaseError(
      "RELEASE_NO_PRINCIPAL",
      "a release must name who performs it (an IAM ARN or user); none was given",
    );
  }
  const resolved = await deps.registry.resolveImage(req.image);
  if (!resolved) {
    throw new ReleaseError(
      "RELEASE_NOT_FOUND",
      `no image ${req.image.repository}@${req.image.digest} in the registry; check the repository and digest`,
    );
  }
  const image = resolved.ref;
  const ctx = {
    eventId: req.eventId ?? `release:${randomUUID()}`,
    eventType: "release",
    principal: req.principal,
  };
  // Both steps run once per event id: a retried release (same eventId) completes what failed
  // and neither restores nor alerts twice.
  const released = await oncePerEvent(deps.audit, ctx, image, "released", async () => {
    const { wasQuarantined } = await deps.registry.release(image);
    return { reasons: [reason], detail: { wasQuarantined } };
  });
  const wasQuarantined = released.detail?.wasQuarantined === true;
  const alerted = await oncePerEvent(deps.audit, ctx, image, "alert-sent", async () => {
    const alert = buildReleaseAlert({
      image,
      reason,
      principal: req.principal,
      eventId: ctx.eventId,
      wasQuarantined,
    });
    const { messageId } = await deps.alerts.publish(alert);
    return { detail: { subject: alert.subject, ...(messageId ? { messageId } : {}) } };
  });
  const steps = [released, alerted];
  return {
    eventId: ctx.eventId,
    kind: "release",
    image: imageKey(image),
    status: "recorded",
    steps,
  };
}
