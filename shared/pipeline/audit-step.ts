import type { AuditAction, AuditRecordInput } from "../domain/audit-record.ts";
import type { ImageRef } from "../domain/image.ts";
import { imageKey, repositoryKey } from "../domain/image.ts";
import type { AuditLog } from "../ports.ts";
import type { PipelineStep } from "./pipeline-outcome.ts";

export interface StepContext {
  eventId: string;
  eventType: string;
  principal?: string;
}

type StepFields = Omit<
  AuditRecordInput,
  | "imageKey"
  | "repositoryKey"
  | "repository"
  | "digest"
  | "tags"
  | "action"
  | "eventId"
  | "eventType"
>;

/** The audit input for one step of one event on one image. */
export function auditInput(
  ctx: StepContext,
  image: ImageRef,
  action: AuditAction,
  fields: StepFields = {},
): AuditRecordInput {
  return {
    imageKey: imageKey(image),
    repositoryKey: repositoryKey(image),
    repository: image.repository,
    digest: image.digest,
    tags: image.tags,
    action,
    eventId: ctx.eventId,
    eventType: ctx.eventType,
    ...(ctx.principal ? { principal: ctx.principal } : {}),
    ...fields,
  };
}

/** Appends a record and reports whether an earlier delivery had already written it. */
export async function recordStep(
  audit: AuditLog,
  ctx: StepContext,
  image: ImageRef,
  action: AuditAction,
  fields: StepFields = {},
): Promise<PipelineStep> {
  const { duplicate } = await audit.append(auditInput(ctx, image, action, fields));
  return {
    action,
    status: duplicate ? "duplicate" : "done",
    ...(fields.detail ? { detail: fields.detail } : {}),
  };
}

/**
 * Runs a side effect at most once per event: skipped when its audit record exists (the step then
 * carries that record's detail). The record is written after the effect, so a crash in between
 * repeats the effect on redelivery; every effect we run this way is idempotent (quarantine,
 * release) or tolerable twice (an alert). Overlapping deliveries are kept apart before this is
 * reached: only the owner of a decision runs its effects (see in-flight.ts).
 */
export async function oncePerEvent(
  audit: AuditLog,
  ctx: StepContext,
  image: ImageRef,
  action: AuditAction,
  effect: () => Promise<StepFields>,
): Promise<PipelineStep> {
  const existing = await audit.find(imageKey(image), ctx.eventId, action);
  if (existing) {
    return { action, status: "duplicate", ...(existing.detail ? { detail: existing.detail } : {}) };
  }
  return recordStep(audit, ctx, image, action, await effect());
}
