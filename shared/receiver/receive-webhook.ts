import type { RegistryEvent } from "../domain/registry-event.ts";
import { handleEvent } from "../pipeline/handle-event.ts";
import type { PipelineDeps } from "../pipeline/pipeline-deps.ts";
import type { ReceiverConfig } from "./receiver-config.ts";
import { handleWebhookRequest } from "./webhook-request.ts";
import type { WebhookRequest, WebhookResponse } from "./webhook-response.ts";

/** Metric names the receiver counts (one each per request, or per event where it says). */
export type ReceiverMetric =
  | "WebhookAccepted"
  /** 401: no or a wrong secret. */
  | "WebhookUnauthorized"
  /** 404 or 405: not a request to a webhook endpoint at all. */
  | "WebhookStrayRequest"
  /** An authenticated request refused (413, 415, 400): the sender needs fixing. */
  | "WebhookRejected"
  | "WebhookPipelineFailed"
  /** Per event handled. */
  | "WebhookEventHandled";

/**
 * A webhook request handled to the end, in one go: checked and parsed, then each accepted event
 * run through the pipeline in the order the registry sent them. A pipeline failure answers 500:
 * distribution and Harbor both retry a non-2xx answer, and every step is idempotent by event id,
 * so the retry repeats only what did not complete. Refusals are logged with their code and
 * message only (never the headers, which hold the secret, nor the body).
 */
export async function receiveWebhook(
  req: WebhookRequest,
  cfg: ReceiverConfig,
  deps: PipelineDeps,
  count: (metric: ReceiverMetric) => void = () => {},
): Promise<WebhookResponse> {
  const r = handleWebhookRequest(req, cfg);
  if (r.status >= 400) {
    const metric = refusalMetric(r.status);
    deps.log[metric === "WebhookRejected" ? "error" : "warn"]("webhook refused", {
      status: r.status,
      code: r.body.code,
      message: r.body.message,
    });
    count(metric);
    return r;
  }
  for (const e of r.ignoredEvents ?? []) {
    deps.log.info("event ignored", { eventId: e.eventId, source: e.source, reason: e.reason });
  }
  for (const event of r.events) {
    const failed = await runOne(deps, event);
    if (failed) {
      count("WebhookPipelineFailed");
      return {
        status: 500,
        body: {
          ok: false,
          code: "WEBHOOK_PIPELINE_FAILED",
          message: `event ${event.eventId} could not be handled (${failed}); retry: events already handled are not repeated`,
          ...(r.body.accepted !== undefined ? { accepted: r.body.accepted } : {}),
          ...(r.body.ignored !== undefined ? { ignored: r.body.ignored } : {}),
        },
        events: [],
      };
    }
    count("WebhookEventHandled");
  }
  if (r.status === 202) count("WebhookAccepted");
  return r;
}

function refusalMetric(status: number): ReceiverMetric {
  if (status === 401) return "WebhookUnauthorized";
  if (status === 404 || status === 405) return "WebhookStrayRequest";
  return "WebhookRejected";
}

/** Runs one event; the error's code (or name) when it failed, undefined when it did not. */
async function runOne(deps: PipelineDeps, event: RegistryEvent): Promise<string | undefined> {
  try {
    const outcome = await handleEvent(deps, event);
    deps.log.info("event handled", { outcome: { ...outcome, gate: undefined } });
    return undefined;
  } catch (err) {
    const e = err as { code?: unknown; name?: unknown; message?: unknown };
    const code =
      typeof e.code === "string" ? e.code : typeof e.name === "string" ? e.name : "Error";
    deps.log.error("pipeline failed; answering 500 so the registry retries", {
      eventId: event.eventId,
      kind: event.kind,
      code,
      error: typeof e.message === "string" ? e.message : String(err),
    });
    return code;
  }
}
