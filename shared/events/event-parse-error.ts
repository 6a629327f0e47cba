/** Why an incoming event was rejected. Every code means "bad input": retrying will not help. */
export const EVENT_PARSE_ERROR_CODES = [
  /** Not a JSON object at all (null, array, string …). */
  "EVENT_NOT_OBJECT",
  /** An object, but not a source + detail-type we recognise (see EVENT_TYPES). */
  "EVENT_UNKNOWN_TYPE",
  /** A required field is absent. */
  "EVENT_MISSING_FIELD",
  /** A digest is not sha256:<64 lowercase hex>. */
  "EVENT_INVALID_DIGEST",
  /** A repository name (or repository ARN) does not match the registry's naming rules. */
  "EVENT_INVALID_REPOSITORY",
  /** A timestamp is not ISO 8601. */
  "EVENT_INVALID_TIME",
  /** Anything else: a wrong type, an out-of-range value, a malformed id. */
  "EVENT_INVALID",
] as const;
export type EventParseErrorCode = (typeof EVENT_PARSE_ERROR_CODES)[number];

/** One thing wrong with an event; `path` is dotted (`detail.image-tags[1]`). */
export interface EventProblem {
  path: string;
  code: EventParseErrorCode;
  message: string;
}

export interface EventParseErrorDetails {
  /** The event's detail-type, when it had one. */
  eventType?: string;
  eventId?: string;
  /** Path of the first problem. */
  path?: string;
  /** Every problem found (capped), the first one being the error's `code`. */
  problems?: readonly EventProblem[];
}

/**
 * An event that cannot be turned into a RegistryEvent. The message names the event type, the
 * event id, the field and what was wrong; it never embeds the raw event (events can be large).
 */
export class EventParseError extends Error {
  override readonly name = "EventParseError";
  readonly code: EventParseErrorCode;
  readonly eventType: string | undefined;
  readonly eventId: string | undefined;
  readonly path: string | undefined;
  readonly problems: readonly EventProblem[];

  constructor(code: EventParseErrorCode, message: string, details: EventParseErrorDetails = {}) {
    super(message);
    this.code = code;
    this.eventType = details.eventType;
    this.eventId = details.eventId;
    this.path = details.path;
    this.problems = details.problems ?? [];
  }
}
