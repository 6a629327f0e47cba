import type { IgnoredEvent, RegistryEvent } from "../domain/registry-event.ts";

/** One HTTP request as the receiver sees it, whatever carried it (node:http, a Function URL). */
export interface WebhookRequest {
  method: string;
  /** The request path; a query string, if any, is disregarded. */
  path: string;
  /** Header names in lower case. */
  headers: Record<string, string | undefined>;
  body: Uint8Array;
}

/** What the caller sends back: a JSON body that never holds the secret or the request's content. */
export interface WebhookResponseBody {
  ok: boolean;
  /** Why a request was refused (WEBHOOK_* or an EventParseError code). */
  code?: string;
  message: string;
  /** Events handed on to the pipeline. */
  accepted?: number;
  /** Events recognised and deliberately not acted on. */
  ignored?: number;
  /** The first bad field of a rejected body (`events[2].target.digest`). */
  path?: string;
}

export interface WebhookResponse {
  status: number;
  body: WebhookResponseBody;
  /** Extra response headers (`Allow` on 405, `WWW-Authenticate` on 401). */
  headers?: Record<string, string>;
  /** The accepted events, in the order the registry sent them; empty whenever status ≠ 202. */
  events: RegistryEvent[];
  /** What was ignored and why, for the caller's log. */
  ignoredEvents?: IgnoredEvent[];
}

/** Every refusal the receiver answers with, and its HTTP status. */
export const WEBHOOK_ERROR_STATUS = {
  WEBHOOK_NOT_FOUND: 404,
  WEBHOOK_METHOD_NOT_ALLOWED: 405,
  WEBHOOK_AUTH_MISSING: 401,
  WEBHOOK_AUTH_INVALID: 401,
  WEBHOOK_BODY_TOO_LARGE: 413,
  WEBHOOK_UNSUPPORTED_MEDIA_TYPE: 415,
  WEBHOOK_MALFORMED_JSON: 400,
} as const;
export type WebhookErrorCode = keyof typeof WEBHOOK_ERROR_STATUS;

export function refuse(
  code: WebhookErrorCode,
  message: string,
  headers?: Record<string, string>,
): WebhookResponse {
  return {
    status: WEBHOOK_ERROR_STATUS[code],
    body: { ok: false, code, message },
    ...(headers ? { headers } : {}),
    events: [],
  };
}
