import type { AuditAction } from "../domain/audit-record.ts";
import type { GateVerdict } from "../domain/verdict.ts";

/** One step a use case took (or found already taken by an earlier delivery of the same event). */
export interface PipelineStep {
  action: AuditAction;
  status: "done" | "duplicate";
  detail?: Record<string, unknown>;
}

/** What handling one event did: printed by `replay`, logged by the Lambdas, asserted by tests. */
export interface PipelineOutcome {
  eventId: string;
  kind: string;
  /** Image key (registry:id/repository@digest) when the event concerns one image. */
  image?: string;
  status: "recorded" | "decided" | "pending" | "ignored" | "image-gone";
  verdict?: GateVerdict["verdict"];
  /** The full gate verdict, when one was computed. */
  gate?: GateVerdict;
  steps: PipelineStep[];
  note?: string;
}
