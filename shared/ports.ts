import type { AuditRecord, AuditRecordInput } from "./domain/audit-record.ts";
import type { ScanResult } from "./domain/finding.ts";
import type { ImageRef, RegistryKind } from "./domain/image.ts";

/** An image as the registry holds it now, with the digest computed from the manifest bytes. */
export interface ResolvedImage {
  ref: ImageRef;
  mediaType?: string;
  pushedAt?: string;
  sizeBytes?: number;
  /** True when the image cannot be pulled because registry-guard quarantined it. */
  quarantined: boolean;
}

export interface Registry {
  readonly kind: RegistryKind;
  /**
   * Fetches the image's manifest and returns it with the digest computed from the fetched bytes.
   * Throws DigestMismatchError when that differs from `ref.digest`; null when the image is gone.
   */
  resolveImage(ref: ImageRef): Promise<ResolvedImage | null>;
  /** Every finding of the image's latest scan, all pages read. */
  getScanResult(ref: ImageRef): Promise<ScanResult>;
  /** Makes the image unpullable by tag and by digest, keeping it intact. Idempotent. */
  quarantine(ref: ImageRef): Promise<{ alreadyQuarantined: boolean }>;
  /** Undoes quarantine. Idempotent. */
  release(ref: ImageRef): Promise<{ wasQuarantined: boolean }>;
}

export interface AppendResult {
  record: AuditRecord;
  /** True when a record with the same eventId and action already existed: nothing was written. */
  duplicate: boolean;
}

export interface AuditQuery {
  /** Inclusive ISO bounds on recordedAt. */
  from?: string;
  to?: string;
  limit?: number;
}

export interface AuditLog {
  /** Appends to the image's chain; idempotent on (imageKey, eventId, action). */
  append(input: AuditRecordInput): Promise<AppendResult>;
  /** The record for (imageKey, eventId, action) if one exists. */
  find(
    imageKey: string,
    eventId: string,
    action: AuditRecordInput["action"],
  ): Promise<AuditRecord | null>;
  byImage(imageKey: string): Promise<AuditRecord[]>;
  byRepository(repositoryKey: string, q: AuditQuery): Promise<AuditRecord[]>;
  byEventType(eventType: string, q: AuditQuery): Promise<AuditRecord[]>;
}

/** A decision's alert, rendered for every kind of subscriber. */
export interface Alert {
  /** Under 100 characters (SNS email subject limit). */
  subject: string;
  /** Readable text for email and SMS. */
  text: string;
  /** Full machine-readable form for SQS, Lambda and HTTPS subscribers. */
  json: Record<string, unknown>;
  /** SNS message attributes subscribers filter on. */
  attributes: {
    eventType: string;
    severity: string;
    repository: string;
    verdict: string;
  };
}

export interface Alerts {
  publish(alert: Alert): Promise<{ messageId?: string }>;
}

/** The clock, passed in so every decision is replayable. */
export type Clock = () => Date;

/** Structured logging, satisfied by Powertools' Logger and by the CLI's stderr logger. */
export interface Log {
  debug(message: string, ...extra: Record<string, unknown>[]): void;
  info(message: string, ...extra: Record<string, unknown>[]): void;
  warn(message: string, ...extra: Record<string, unknown>[]): void;
  error(message: string, ...extra: Record<string, unknown>[]): void;
}
