import type * as z from "zod";
import {
  EVENT_PARSE_ERROR_CODES,
  EventParseError,
  type EventParseErrorCode,
  type EventProblem,
} from "./event-parse-error.ts";

const MAX_PROBLEMS = 10;
const MAX_PREVIEW = 60;

/**
 * Parses `raw` with `schema`, or throws an EventParseError naming the event type, the event id,
 * the first bad field and what was wrong with it.
 */
export function validateEvent<S extends z.ZodType>(
  schema: S,
  raw: unknown,
  eventType: string,
): z.output<S> {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const problems = result.error.issues.slice(0, MAX_PROBLEMS).map((issue) => toProblem(issue, raw));
  const first = problems[0] ?? { path: "(event)", code: "EVENT_INVALID", message: "is invalid" };
  const more = result.error.issues.length - 1;
  const eventId = eventIdOf(raw);
  const message =
    `Invalid "${eventType}" event${eventId ? ` ${eventId}` : ""}: ${first.path} ${first.message}` +
    (more > 0 ? ` (and ${more} more problem${more === 1 ? "" : "s"})` : "");
  throw new EventParseError(first.code, message, {
    eventType,
    ...(eventId ? { eventId } : {}),
    path: first.path,
    problems,
  });
}

function toProblem(issue: z.core.$ZodIssue, raw: unknown): EventProblem {
  const path = formatPath(issue.path);
  const found = valueAt(raw, issue.path);
  if (issue.code === "custom") {
    const code = issue.params?.code;
    return {
      path,
      code: isCode(code) ? code : "EVENT_INVALID",
      message: `${issue.message}; got ${preview(found.value)}`,
    };
  }
  if (issue.code === "invalid_type") {
    if (!found.present)
      return { path, code: "EVENT_MISSING_FIELD", message: "is required but missing" };
    return {
      path,
      code: "EVENT_INVALID",
      message: `must be ${article(issue.expected)}; got ${preview(found.value)}`,
    };
  }
  return { path, code: "EVENT_INVALID", message: `${issue.message}; got ${preview(found.value)}` };
}

function isCode(x: unknown): x is EventParseErrorCode {
  return typeof x === "string" && (EVENT_PARSE_ERROR_CODES as readonly string[]).includes(x);
}

/** `detail.image-tags[1]`; keys that are not plain identifiers are quoted. */
export function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return "(event)";
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else {
      const k = String(key);
      out += /^[A-Za-z_$][\w$-]*$/.test(k)
        ? `${out ? "." : ""}${k}`
        : `[${JSON.stringify(k.slice(0, MAX_PREVIEW))}]`;
    }
  }
  return out;
}

/** Walks own properties only, so a key like `constructor` never reaches the prototype. */
function valueAt(raw: unknown, path: readonly PropertyKey[]): { present: boolean; value: unknown } {
  let current: unknown = raw;
  for (const key of path) {
    if (typeof current !== "object" || current === null)
      return { present: false, value: undefined };
    if (typeof key === "symbol" || !Object.hasOwn(current, key)) {
      return { present: false, value: undefined };
    }
    current = (current as Record<string | number, unknown>)[key];
  }
  return { present: current !== undefined, value: current };
}

/** A short, safe rendering of a received value: never the whole of a large string or object. */
export function preview(value: unknown): string {
  if (typeof value === "string") {
    const cut = value.length > MAX_PREVIEW ? `${value.slice(0, MAX_PREVIEW)}…` : value;
    return `${JSON.stringify(cut)}${value.length > MAX_PREVIEW ? ` (${value.length} characters)` : ""}`;
  }
  if (value === null) return "null";
  if (value === undefined) return "nothing";
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === "object") return "an object";
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return typeof value;
}

function article(expected: string): string {
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

/** The event id, when the raw event has a usable one, cut short for messages. */
export function eventIdOf(raw: unknown): string | undefined {
  if (typeof raw !== "object" || raw === null || !Object.hasOwn(raw, "id")) return undefined;
  const id = (raw as { id: unknown }).id;
  if (typeof id !== "string" || id.length === 0) return undefined;
  return id.length > 256 ? `${id.slice(0, 256)}…` : id;
}
