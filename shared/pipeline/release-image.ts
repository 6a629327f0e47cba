import { randomUUID } from "node:crypto";
import { buildReleaseAlert } from "../domain/alert-message.ts";
import type { ImageRef } from "../domain/image.ts";
import { imageKey } from "../domain/image.ts";
import { recordStep } from "./audit-step.ts";
import type { PipelineDeps } from "./pipeline-deps.ts";
import type { PipelineOutcome } from "./pipeline-outcome.ts";

export class ReleaseError extends Error {
  readonly code: "RELEASE_NO_REASON" | "RELEASE_NOT_FOUND";
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
  const { wasQuarantined } = await deps.registry.release(image);
  const steps = [
    await recordStep(deps.audit, ctx, image, "released", {
      reasons: [reason],
      detail: { wasQuarantined },
    }),
  ];
  const alert = buildReleaseAlert({
    image,
    reason,
    principal: req.principal,
    eventId: ctx.eventId,
    wasQuarantined,
  });
  const { messageId } = await deps.alerts.publish(alert);
  steps.push(
    await recordStep(deps.audit, ctx, image, "alert-sent", {
      detail: { subject: alert.subject, ...(messageId ? { messageId } : {}) },
    }),
  );
  return {
    eventId: ctx.eventId,
    kind: "release",
    image: imageKey(image),
    status: "recorded",
    steps,
  };
}
