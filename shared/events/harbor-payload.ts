import * as z from "zod";
import { DIGEST_RE } from "../domain/image.ts";
import { baseMediaType, isOciTag } from "./distribution-fields.ts";
import { EventParseError } from "./event-parse-error.ts";
import { digest, eventId, isoTime, ociRepositoryName } from "./field-schemas.ts";
import { eventIdOf, preview, validateEvent } from "./validate-event.ts";

/**
 * Harbor's two webhook payload formats, read into one shape. The Default format is
 * `{ type, occur_at, operator, event_data }`; the CloudEvents format (structured mode,
 * `application/cloudevents+json`) is `{ specversion, id, source, type, time, operator, data }`
 * with Harbor's `event_data` as `data` and its own type names (harbor.artifact.pushed …).
 */

export const HARBOR_SOURCE = "harbor";

/** Harbor's CloudEvents type for each of its event types (Harbor's `eventTypeMapping`). */
export const HARBOR_CLOUDEVENT_TYPES: Readonly<Record<string, string>> = {
  PUSH_ARTIFACT: "harbor.artifact.pushed",
  PULL_ARTIFACT: "harbor.artifact.pulled",
  DELETE_ARTIFACT: "harbor.artifact.deleted",
  CREATE_TAG: "harbor.tag.created",
  QUOTA_EXCEED: "harbor.quota.exceeded",
  QUOTA_WARNING: "harbor.quota.warned",
  REPLICATION: "harbor.replication.status.changed",
  SCANNING_FAILED: "harbor.scan.failed",
  SCANNING_COMPLETED: "harbor.scan.completed",
  SCANNING_STOPPED: "harbor.scan.stopped",
  TAG_RETENTION: "harbor.tag_retention.finished",
};

const HARBOR_TYPE_BY_CLOUDEVENT: ReadonlyMap<string, string> = new Map(
  Object.entries(HARBOR_CLOUDEVENT_TYPES).map(([harbor, ce]) => [ce, harbor]),
);

const HARBOR_TYPE_RE = /^[A-Z][A-Z0-9_]{0,63}$/;

/** 9999-12-31T23:59:59Z: anything later is not a time Harbor could have stamped. */
const MAX_EPOCH_SECONDS = 253_402_300_799;

const epochSeconds = z
  .number()
  .int()
  .refine((n) => n >= 0 && n <= MAX_EPOCH_SECONDS, {
    error: "must be a time in epoch seconds between 1970 and 9999",
    params: { code: "EVENT_INVALID_TIME" },
  });

const operator = z.string().max(256);

const defaultHead = z.object({
  type: z.string().min(1).max(64),
  occur_at: epochSeconds,
  operator: operator.optional(),
});

const cloudEventHead = z.object({
  specversion: z.literal("1.0"),
  id: eventId,
  type: z.string().min(1).max(128),
  time: isoTime,
  // Absent means JSON (CloudEvents JSON format); anything else would be data we cannot read.
  datacontenttype: z
    .string()
    .max(255)
    .refine((s) => baseMediaType(s) === "application/json", "must be application/json")
    .optional(),
  operator: operator.optional(),
});

/** Harbor's tag field: an OCI tag, or for an untagged artifact the digest (or nothing). */
const harborTag = z
  .string()
  .max(300)
  .refine(
    (s) => s === "" || isOciTag(s) || DIGEST_RE.test(s),
    "must be an OCI tag or the artifact's digest",
  );

/** One entry of `scan_overview`, keyed by report media type (Harbor's NativeReportSummary). */
const reportSummary = z.object({
  scan_status: z.string().max(64).optional(),
  summary: z
    .object({
      summary: z
        .record(
          z.string().regex(/^[A-Za-z][A-Za-z_]{0,31}$/, "must be a severity name"),
          z.number().int().nonnegative(),
        )
        .nullable()
        .optional(),
    })
    .nullable()
    .optional(),
});

export type HarborReportSummary = z.output<typeof reportSummary>;

/** A report media type such as `application/vnd.security.vulnerability.report; version=1.1`. */
const reportMediaType = z
  .string()
  .max(256)
  .regex(/^[A-Za-z0-9][A-Za-z0-9!#$&^_.+\-/;= ]*$/, "must be a report media type");

const resource = z.object({
  digest,
  tag: harborTag.optional(),
  scan_overview: z.record(reportMediaType, reportSummary).nullable().optional(),
});

export type HarborResource = z.output<typeof resource>;

const eventData = z.object({
  resources: z.array(resource).min(1).max(100),
  repository: z.object({ repo_full_name: ociRepositoryName }),
});

const scanPeek = z.object({
  scan: z
    .object({ scan_type: z.string().max(64).optional() })
    .nullable()
    .optional(),
});

/** The part of a payload every format has, with Harbor's own type name. */
export interface HarborHead {
  format: "default" | "cloudevents";
  /** PUSH_ARTIFACT …; a CloudEvents type Harbor does not map is kept as sent. */
  type: string;
  occurAt: number;
  /** ISO 8601 (CloudEvents: as sent; Default: from occur_at). */
  time: string;
  operator?: string;
  /** Where the event data sits: `event_data` (Default) or `data` (CloudEvents). */
  dataKey: "event_data" | "data";
  /** For messages: `Harbor PUSH_ARTIFACT`. */
  eventType: string;
}

export function isCloudEvent(body: Record<string, unknown>): boolean {
  return Object.hasOwn(body, "specversion");
}

export function readHarborHead(body: Record<string, unknown>): HarborHead {
  if (isCloudEvent(body)) {
    const h = validateEvent(cloudEventHead, body, "Harbor CloudEvent");
    const mapped = HARBOR_TYPE_BY_CLOUDEVENT.get(h.type);
    if (!mapped && !h.type.startsWith("harbor.")) unknownType(h.type, body);
    const type = mapped ?? h.type;
    return {
      format: "cloudevents",
      type,
      occurAt: Math.floor(Date.parse(h.time) / 1000),
      time: h.time,
      ...(h.operator ? { operator: h.operator } : {}),
      dataKey: "data",
      eventType: `Harbor ${type}`,
    };
  }
  const h = validateEvent(defaultHead, body, "Harbor webhook");
  if (!HARBOR_TYPE_RE.test(h.type)) unknownType(h.type, body);
  return {
    format: "default",
    type: h.type,
    occurAt: h.occur_at,
    time: new Date(h.occur_at * 1000).toISOString().replace(".000Z", "Z"),
    ...(h.operator ? { operator: h.operator } : {}),
    dataKey: "event_data",
    eventType: `Harbor ${h.type}`,
  };
}

function unknownType(type: string, body: unknown): never {
  const id = eventIdOf(body);
  throw new EventParseError(
    "EVENT_UNKNOWN_TYPE",
    `Unrecognised Harbor webhook${id ? ` ${id}` : ""}: type ${preview(type)} is neither a Harbor event type (PUSH_ARTIFACT …) nor a Harbor CloudEvents type (harbor.artifact.pushed …)`,
    { eventType: type.slice(0, 100), ...(id ? { eventId: id } : {}), path: "type" },
  );
}

const dataSchemas = {
  event_data: z.object({ event_data: eventData }),
  data: z.object({ data: eventData }),
};

const scanSchemas = {
  event_data: z.object({ event_data: scanPeek }),
  data: z.object({ data: scanPeek }),
};

export type HarborEventData = z.output<typeof eventData>;

/** The artifacts and repository of an event we act on. */
export function readHarborData(body: unknown, head: HarborHead): HarborEventData {
  if (head.dataKey === "data") return validateEvent(dataSchemas.data, body, head.eventType).data;
  return validateEvent(dataSchemas.event_data, body, head.eventType).event_data;
}

/** The scan kind Harbor 2.11+ names in the event data's `scan`: "vulnerability", "sbom" or none. */
export function readHarborScanType(body: unknown, head: HarborHead): string | undefined {
  const data =
    head.dataKey === "data"
      ? validateEvent(scanSchemas.data, body, head.eventType).data
      : validateEvent(scanSchemas.event_data, body, head.eventType).event_data;
  return data.scan?.scan_type;
}
