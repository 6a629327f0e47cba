import type { WebhookRequest, WebhookResponse } from "./webhook-response.ts";

/**
 * The part of a Lambda Function URL event (payload format 2.0) the receiver reads: header
 * names arrive in lower case, repeated headers joined with commas, and a body that is not text
 * (distribution's `application/vnd.docker.distribution.events.v1+json`) base64-encoded.
 */
export interface FunctionUrlEvent {
  rawPath?: string;
  headers?: Record<string, string | undefined>;
  body?: string;
  isBase64Encoded?: boolean;
  requestContext?: { http?: { method?: string } };
}

export interface FunctionUrlResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

/**
 * A Function URL event → the receiver's request. Anything that is not one (a direct invoke with
 * some other payload) becomes a request no route matches, so it is refused like any stray call.
 */
export function requestFromFunctionUrl(event: unknown): WebhookRequest {
  const e: FunctionUrlEvent = isObject(event) ? (event as FunctionUrlEvent) : {};
  const http =
    isObject(e.requestContext) && isObject(e.requestContext.http) ? e.requestContext.http : {};
  const headers: Record<string, string | undefined> = {};
  if (isObject(e.headers)) {
    for (const [k, v] of Object.entries(e.headers)) {
      if (typeof v === "string") headers[k.toLowerCase()] = v;
    }
  }
  const raw = typeof e.body === "string" ? e.body : "";
  return {
    method: typeof http.method === "string" ? http.method : "",
    path: typeof e.rawPath === "string" ? e.rawPath : "",
    headers,
    body: e.isBase64Encoded === true ? Buffer.from(raw, "base64") : Buffer.from(raw, "utf8"),
  };
}

/** The receiver's answer as a Function URL response. */
export function functionUrlResult(r: WebhookResponse): FunctionUrlResult {
  return {
    statusCode: r.status,
    headers: { ...r.headers, "content-type": "application/json", "cache-control": "no-store" },
    body: JSON.stringify(r.body),
  };
}
