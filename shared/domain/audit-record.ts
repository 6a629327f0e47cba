import type { GateVerdict } from "./verdict.ts";

/** What an audit record says happened. */
export type AuditAction =
  | "event-received"
  | "push-recorded"
  | "gate-evaluated"
  | "quarantined"
  | "released"
  | "alert-sent"
  | "referrer-recorded"
  | "image-deleted"
  /** A signature from a trusted key or identity verified the image (names the signer). */
  | "signature-verified"
  /** No trusted signature yet, before the grace period ends: recorded, nothing done. */
  | "signature-pending"
  /** No trusted signature once the grace period ended: the policy's onFail follows. */
  | "signature-failed";

/**
 * The fields a use case supplies. The audit store adds the chain (seq, prevHash, hash), the
 * record time and the expiry.
 */
export interface AuditRecordInput {
  /** Image key (see imageKey): one hash chain per image. */
  imageKey: string;
  /** registry:registryId/repository, for repository queries. */
  repositoryKey: string;
  repository: string;
  digest: string;
  tags: string[];
  action: AuditAction;
  /** The triggering event's id; with `action` it makes the record idempotent. */
  eventId: string;
  /** The normalized event kind (image-pushed, scan-completed, …), for event-type queries. */
  eventType: string;
  principal?: string;
  verdict?: GateVerdict["verdict"];
  /** Short, human-readable reasons (rule and finding ids). */
  reasons?: string[];
  policyVersion?: string;
  /** Action-specific detail, kept small (no full finding lists). */
  detail?: Record<string, unknown>;
}

export interface AuditRecord extends AuditRecordInput {
  /** Position in the image's chain, from 1. */
  seq: number;
  /** ISO time the record was written (from the injected clock). */
  recordedAt: string;
  /** Hash of the previous record of the same image ("" for the first). */
  prevHash: string;
  /** sha256 over prevHash and the canonical form of every other field. */
  hash: string;
  /** Epoch seconds after which DynamoDB TTL may remove the record. */
  expiresAt: number;
}
