import type { IgnoredEvent, RegistryEvent } from "../domain/registry-event.ts";
import { CLOUDTRAIL_ECR_API_CALL, parseCloudTrailPutImage } from "./cloudtrail-put-image.ts";
import { ECR_IMAGE_ACTION, parseEcrImageAction } from "./ecr-image-action.ts";
import { ECR_IMAGE_SCAN, parseEcrImageScan } from "./ecr-image-scan.ts";
import { ECR_REFERRER_ACTION, parseEcrReferrerAction } from "./ecr-referrer-action.ts";
import { EventParseError } from "./event-parse-error.ts";
import {
  INSPECTOR2_FINDING,
  INSPECTOR2_SCAN,
  parseInspector2Finding,
  parseInspector2Scan,
} from "./inspector2-scan.ts";
import { parseScanTimeoutCheck, SCAN_TIMEOUT_CHECK } from "./scan-timeout-check.ts";
import { eventIdOf, preview } from "./validate-event.ts";

type EventKind = RegistryEvent["kind"] | IgnoredEvent["kind"];

/** One recognised event type, described for infrastructure (rule patterns) and docs. */
export interface EventType {
  source: string;
  detailType: string;
  /** The normalized kinds it can produce ("ignored" included where it applies). */
  produces: readonly EventKind[];
  /**
   * False when we recognise the type only to ignore it politely (Inspector2 Finding): no rule
   * should route it to a function.
   */
  subscribe: boolean;
  /** An EventBridge rule pattern that matches exactly this type. */
  pattern: Readonly<Record<string, unknown>>;
}

interface Handler extends EventType {
  parse(raw: unknown): RegistryEvent | IgnoredEvent;
}

function basicPattern(t: { source: string; detailType: string }) {
  return { source: [t.source], "detail-type": [t.detailType] };
}

const HANDLERS: readonly Handler[] = [
  {
    ...ECR_IMAGE_ACTION,
    produces: ["image-pushed", "image-deleted", "ignored"],
    subscribe: true,
    pattern: basicPattern(ECR_IMAGE_ACTION),
    parse: parseEcrImageAction,
  },
  {
    ...ECR_IMAGE_SCAN,
    produces: ["scan-completed"],
    subscribe: true,
    pattern: basicPattern(ECR_IMAGE_SCAN),
    parse: parseEcrImageScan,
  },
  {
    ...INSPECTOR2_SCAN,
    produces: ["scan-completed", "ignored"],
    subscribe: true,
    pattern: basicPattern(INSPECTOR2_SCAN),
    parse: parseInspector2Scan,
  },
  {
    ...INSPECTOR2_FINDING,
    produces: ["ignored"],
    subscribe: false,
    pattern: basicPattern(INSPECTOR2_FINDING),
    parse: parseInspector2Finding,
  },
  {
    ...ECR_REFERRER_ACTION,
    produces: ["referrer-pushed", "ignored"],
    subscribe: true,
    pattern: basicPattern(ECR_REFERRER_ACTION),
    parse: parseEcrReferrerAction,
  },
  {
    ...CLOUDTRAIL_ECR_API_CALL,
    produces: ["push-recorded", "ignored"],
    subscribe: true,
    pattern: {
      ...basicPattern(CLOUDTRAIL_ECR_API_CALL),
      detail: { eventSource: ["ecr.amazonaws.com"], eventName: ["PutImage"] },
    },
    parse: parseCloudTrailPutImage,
  },
  {
    ...SCAN_TIMEOUT_CHECK,
    produces: ["scan-timeout-check"],
    subscribe: true,
    pattern: basicPattern(SCAN_TIMEOUT_CHECK),
    parse: parseScanTimeoutCheck,
  },
];

/** Every source + detail-type parseRegistryEvent recognises. */
export const EVENT_TYPES: readonly EventType[] = Object.freeze(
  HANDLERS.map(({ parse: _parse, ...type }) => Object.freeze(type)),
);

/**
 * Turns one raw event (an EventBridge event as Lambda receives it, or our own internal event)
 * into a normalized RegistryEvent, or an IgnoredEvent for a recognised event we do not act on.
 * Throws EventParseError for anything else; never throws any other error for bad input.
 */
export function parseRegistryEvent(raw: unknown): RegistryEvent | IgnoredEvent {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    const hint = typeof raw === "string" ? " (a string: parse the JSON first)" : "";
    throw new EventParseError(
      "EVENT_NOT_OBJECT",
      `Expected an event object; got ${preview(raw)}${hint}`,
    );
  }
  const source = Object.hasOwn(raw, "source") ? (raw as { source: unknown }).source : undefined;
  const detailType = Object.hasOwn(raw, "detail-type")
    ? (raw as { "detail-type": unknown })["detail-type"]
    : undefined;
  const handler = HANDLERS.find((h) => h.source === source && h.detailType === detailType);
  if (!handler) {
    const eventId = eventIdOf(raw);
    throw new EventParseError(
      "EVENT_UNKNOWN_TYPE",
      `Unrecognised event${eventId ? ` ${eventId}` : ""}: source ${preview(source)}, detail-type ` +
        `${preview(detailType)}; expected one of ${HANDLERS.map((h) => `${h.source}/${h.detailType}`).join(", ")}`,
      {
        ...(typeof detailType === "string" ? { eventType: detailType.slice(0, 100) } : {}),
        ...(eventId ? { eventId } : {}),
      },
    );
  }
  return handler.parse(raw);
}
