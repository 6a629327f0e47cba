import type { IgnoredEvent, RegistryEvent } from "../domain/registry-event.ts";
import { baseMediaType } from "../events/distribution-fields.ts";
import { EventParseError } from "../events/event-parse-error.ts";
import { parseWebhook, WEBHOOK_MEDIA_TYPES, type WebhookKind } from "../events/parse-webhook.ts";
import { preview } from "../events/validate-event.ts";
import { type ReceiverConfig, validateReceiverConfig } from "./receiver-config.ts";
import { authorizationMatches } from "./webhook-auth.ts";
import { refuse, type WebhookRequest, type WebhookResponse } from "./webhook-response.ts";
import { routeOf } from "./webhook-routes.ts";

export type { ReceiverConfig } from "./receiver-config.ts";
export type { WebhookRequest, WebhookResponse } from "./webhook-response.ts";

/** A request before its body is read. */
export type WebhookRequestHead = Omit<WebhookRequest, "body">;

const SENDER: Readonly<Record<WebhookKind, string>> = {
  distribution: "a CNCF distribution registry",
  harbor: "Harbor",
};
const ENDPOINTS = "POST /webhooks/distribution, POST /webhooks/harbor, GET /healthz";

function lowerCased(headers: WebhookRequest["headers"]): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(headers)) out[k.toLowerCase()] = v;
  return out;
}

/**
 * Everything that can be decided from the request line and headers, in this order: path (404),
 * method (405), secret (401), declared Content-Length (413), Content-Type (415). Null means: an
 * authenticated webhook POST whose body should now be read and given to handleWebhookRequest.
 * A server calls this first so an unauthenticated sender never gets a byte of its body read.
 * Throws ReceiverConfigError for a configuration it must not run with.
 */
export function checkWebhookHead(
  head: WebhookRequestHead,
  cfg: ReceiverConfig,
): WebhookResponse | null {
  validateReceiverConfig(cfg);
  const route = routeOf(head.path);
  if (!route) return refuse("WEBHOOK_NOT_FOUND", `unknown path; the endpoints are ${ENDPOINTS}`);
  const method = head.method.toUpperCase();
  if (method !== route.method) {
    return refuse(
      "WEBHOOK_METHOD_NOT_ALLOWED",
      `${method} is not allowed here; this endpoint accepts ${route.method}`,
      { allow: route.method },
    );
  }
  if (route.name === "health") {
    return {
      status: 200,
      body: { ok: true, message: "registry-guard webhook receiver" },
      events: [],
    };
  }
  const headers = lowerCased(head.headers);
  const authorization = headers.authorization;
  if (authorization === undefined || authorization.trim() === "") {
    return refuse(
      "WEBHOOK_AUTH_MISSING",
      `no Authorization header: configure ${SENDER[route.kind]} to send the shared secret (Authorization: Bearer <secret>)`,
      { "www-authenticate": 'Bearer realm="registry-guard"' },
    );
  }
  // The message is the same whatever was sent, and never repeats it.
  if (!authorizationMatches(authorization.trim(), cfg.secret)) {
    return refuse(
      "WEBHOOK_AUTH_INVALID",
      "the Authorization header does not carry this receiver's shared secret",
      { "www-authenticate": 'Bearer realm="registry-guard", error="invalid_token"' },
    );
  }
  const declared = Number(headers["content-length"]);
  if (Number.isFinite(declared) && declared > cfg.maxBodyBytes) return bodyTooLarge(cfg);
  const contentType = headers["content-type"];
  const accepted = WEBHOOK_MEDIA_TYPES[route.kind];
  if (contentType === undefined || !accepted.includes(baseMediaType(contentType))) {
    return refuse(
      "WEBHOOK_UNSUPPORTED_MEDIA_TYPE",
      `Content-Type ${contentType === undefined ? "missing" : preview(contentType)} is not one ${SENDER[route.kind]} sends; expected ${accepted.join(" or ")}`,
    );
  }
  return null;
}

/** The 413 answer, for a server that stops reading a body at the limit. */
export function bodyTooLarge(cfg: Pick<ReceiverConfig, "maxBodyBytes">): WebhookResponse {
  return refuse(
    "WEBHOOK_BODY_TOO_LARGE",
    `the body is over this receiver's limit of ${cfg.maxBodyBytes} bytes; registry notifications are a few KiB`,
  );
}

/** UTF-8 JSON → a value; undefined with a reason when it is not. The body is never quoted. */
function decodeJson(body: Uint8Array): { value: unknown } | { problem: string } {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(body);
  } catch {
    return { problem: "the body is not UTF-8 text" };
  }
  try {
    return { value: JSON.parse(text) };
  } catch (err) {
    const at = /position (\d+)/.exec(String((err as Error).message))?.[1];
    return {
      problem: `the body is not valid JSON${at ? ` (at byte offset ${at})` : text.trim() === "" ? " (it is empty)" : ""}`,
    };
  }
}

/**
 * One webhook request → the HTTP answer and the events to hand to the pipeline. Pure: no I/O,
 * no clock, and nothing from the request is trusted before the secret is checked. Refusals carry
 * a specific `code` and return no events; 202 means the events were accepted (and counted), with
 * events of ignored repositories and the parsers' IgnoredEvents counted as ignored.
 * Throws ReceiverConfigError for a configuration it must not run with.
 */
export function handleWebhookRequest(req: WebhookRequest, cfg: ReceiverConfig): WebhookResponse {
  const head = checkWebhookHead(req, cfg);
  if (head) return head;
  // checkWebhookHead let it through: an authenticated POST to a webhook route.
  const route = routeOf(req.path);
  if (route?.name !== "webhook") throw new Error("unreachable: route checked above");
  if (req.body.byteLength > cfg.maxBodyBytes) return bodyTooLarge(cfg);
  const decoded = decodeJson(req.body);
  if ("problem" in decoded) return refuse("WEBHOOK_MALFORMED_JSON", decoded.problem);

  let parsed: (RegistryEvent | IgnoredEvent)[];
  try {
    const contentType = lowerCased(req.headers)["content-type"];
    parsed = parseWebhook(route.kind, contentType, decoded.value, {
      registryHost: cfg.registryHost,
    });
  } catch (err) {
    if (!(err instanceof EventParseError)) throw err;
    return {
      status: 400,
      body: {
        ok: false,
        code: err.code,
        message: err.path ? `${err.message} (at ${err.path})` : err.message,
        ...(err.path ? { path: err.path } : {}),
      },
      events: [],
    };
  }

  const events: RegistryEvent[] = [];
  const ignoredEvents: IgnoredEvent[] = [];
  for (const e of parsed) {
    if (e.kind === "ignored") ignoredEvents.push(e);
    else if (cfg.ignoreRepository?.(e.image.repository)) {
      ignoredEvents.push({
        kind: "ignored",
        eventId: e.eventId,
        source: e.source,
        reason: `${e.kind} in ${e.image.repository}, a repository this receiver ignores (registry-guard's own quarantine moves)`,
      });
    } else events.push(e);
  }
  return {
    status: 202,
    body: {
      ok: true,
      message: `accepted ${events.length}, ignored ${ignoredEvents.length}`,
      accepted: events.length,
      ignored: ignoredEvents.length,
    },
    events,
    ignoredEvents,
  };
}
