import type { Finding } from "./finding.ts";
import type { ImageRef } from "./image.ts";

/** Fields every normalized event carries. */
interface EventBase {
  /** The source's event id (EventBridge `id`, notification id): the idempotency key. */
  eventId: string;
  /** When the source says it happened (ISO 8601). */
  time: string;
  /** ecr, distribution, harbor, cloudtrail … */
  source: string;
  /** Who caused it, when the source says (IAM ARN, registry user). */
  principal?: string;
}

export interface ImagePushed extends EventBase {
  kind: "image-pushed";
  image: ImageRef;
  mediaType?: string;
}

export interface ImageDeleted extends EventBase {
  kind: "image-deleted";
  image: ImageRef;
}

export interface ScanCompleted extends EventBase {
  kind: "scan-completed";
  image: ImageRef;
  scanType: "basic" | "enhanced";
  /** COMPLETE, FAILED, … as the source reports it. */
  status: string;
  /** Severity counts the event carried (informational: findings are always re-read). */
  reportedCounts?: Record<string, number>;
  /** Inline findings: only for an enhanced (Inspector2) event, which carries one finding. */
  findings?: Finding[];
}

export interface ReferrerPushed extends EventBase {
  kind: "referrer-pushed";
  /** The referrer (signature, attestation, SBOM) itself. */
  image: ImageRef;
  /** Absent when the event does not name it (ECR sends the referrer's own digest only). */
  subjectDigest?: string;
  artifactType?: string;
}

/** CloudTrail PutImage: who pushed, from where. Recorded, never acted on. */
export interface PushRecorded extends EventBase {
  kind: "push-recorded";
  image: ImageRef;
  sourceIp?: string;
  userAgent?: string;
}

/** The scan-timeout sweep asks the pipeline to re-check an image that may still be unscanned. */
export interface ScanTimeoutCheck extends EventBase {
  kind: "scan-timeout-check";
  image: ImageRef;
  pushedAt: string;
}

export type RegistryEvent =
  | ImagePushed
  | ImageDeleted
  | ScanCompleted
  | ReferrerPushed
  | PushRecorded
  | ScanTimeoutCheck;

/** Events a source sends that we recognise and deliberately do not act on (e.g. FAILURE results). */
export interface IgnoredEvent {
  kind: "ignored";
  eventId: string;
  source: string;
  reason: string;
}
