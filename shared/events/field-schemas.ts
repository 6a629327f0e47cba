import * as z from "zod";
import { DIGEST_RE } from "../domain/image.ts";
import type { EventParseErrorCode } from "./event-parse-error.ts";

/** Refinement options that tag a failed check with our error code (read back in validate-event). */
function coded(code: EventParseErrorCode, message: string) {
  return { error: message, params: { code } };
}

/** ECR's repository name rule (CreateRepository API reference), anchored. */
export const ECR_REPOSITORY_RE =
  /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;

/** OCI distribution-spec repository name rule, anchored. */
export const OCI_REPOSITORY_RE =
  /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;

/** Length is checked before the pattern, so a huge string never reaches the regex engine. */
export function isEcrRepositoryName(s: string): boolean {
  return s.length >= 2 && s.length <= 256 && ECR_REPOSITORY_RE.test(s);
}

export function isOciRepositoryName(s: string): boolean {
  return s.length >= 1 && s.length <= 255 && OCI_REPOSITORY_RE.test(s);
}

const isoDateTime = z.iso.datetime({ offset: true });

export function isIsoDateTime(s: string): boolean {
  return s.length <= 64 && isoDateTime.safeParse(s).success;
}

export const digest = z
  .string()
  .refine(
    (s) => DIGEST_RE.test(s),
    coded("EVENT_INVALID_DIGEST", 'must be "sha256:" followed by 64 lowercase hex characters'),
  );

export const ecrRepositoryName = z
  .string()
  .refine(
    isEcrRepositoryName,
    coded(
      "EVENT_INVALID_REPOSITORY",
      "must be an ECR repository name: 2-256 lowercase letters, digits and . _ - separators, / between path parts",
    ),
  );

export const ociRepositoryName = z
  .string()
  .refine(
    isOciRepositoryName,
    coded(
      "EVENT_INVALID_REPOSITORY",
      "must be an OCI repository name: lowercase path components separated by /",
    ),
  );

export const isoTime = z
  .string()
  .refine(
    isIsoDateTime,
    coded("EVENT_INVALID_TIME", "must be an ISO 8601 date-time such as 2024-05-08T20:44:54Z"),
  );

export const eventId = z.string().min(1).max(256);

export const awsAccountId = z.string().regex(/^\d{12}$/, "must be a 12-digit AWS account id");

export const awsRegion = z
  .string()
  .regex(/^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/, "must be an AWS region such as us-east-1");

/** ECR allows 1-300 characters and no further pattern; empty means "no tag" in some events. */
export const imageTag = z.string().min(1).max(300);

export const mediaType = z.string().min(1).max(255);

/** CRITICAL, HIGH, …, UNDEFINED, UNTRIAGED, TOTAL as the scanner reports them. */
export const severityCounts = z.record(
  z.string().regex(/^[A-Z][A-Z_]{0,31}$/, "must be an upper-case severity name"),
  z.number().int().nonnegative(),
);

/** The EventBridge envelope of an AWS service event, with a detail schema per event type. */
export function awsEvent<T extends z.ZodType>(source: string, detailType: string, detail: T) {
  return z.object({
    id: eventId,
    time: isoTime,
    source: z.literal(source),
    "detail-type": z.literal(detailType),
    account: awsAccountId,
    region: awsRegion,
    detail,
  });
}

/**
 * ECR's action events (ECR Image Action, ECR Referrer Action) share one detail shape: `head` is
 * enough to decide whether we act on the event, `full` validates what acting needs.
 */
export function ecrActionSchemas(source: string, detailType: string) {
  return {
    head: awsEvent(
      source,
      detailType,
      z.object({ result: z.string().min(1).max(64), "action-type": z.string().min(1).max(64) }),
    ),
    full: awsEvent(
      source,
      detailType,
      z.object({
        "repository-name": ecrRepositoryName,
        "image-digest": digest,
        // Absent (or empty) when the image was pushed or deleted by digest.
        "image-tag": z.string().max(300).optional(),
        "manifest-media-type": mediaType.optional(),
        "artifact-media-type": mediaType.optional(),
      }),
    ),
  };
}
