import http from "node:http";
import type { AddressInfo } from "node:net";
import type { RegistryEvent } from "../shared/domain/registry-event.ts";
import type { Log } from "../shared/ports.ts";
import {
  DEFAULT_MAX_BODY_BYTES,
  validateReceiverConfig,
} from "../shared/receiver/receiver-config.ts";
import {
  bodyTooLarge,
  checkWebhookHead,
  handleWebhookRequest,
  type ReceiverConfig,
  type WebhookResponse,
} from "../shared/receiver/webhook-request.ts";

export interface WebhookServerOptions {
  /** Interface to listen on. Default 127.0.0.1: this machine only. */
  host?: string;
  /** 0 (the default): a free port. */
  port?: number;
  secret: string;
  /** host[:port] of the registry that sends: the registryId of its events' images. */
  registryHost: string;
  /** Default 1 MiB. */
  maxBodyBytes?: number;
  ignoreRepository?: (repository: string) => boolean;
  /** Called once per accepted request with its events (none for a refused one). */
  onEvents: (events: RegistryEvent[]) => void;
  log?: Log;
}

export interface WebhookServer {
  /** http://host:port */
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * The webhook receiver on node:http, for the local runtime. The request line and headers are
 * checked first (path, method, secret, declared length, content type) so an unauthenticated
 * sender never gets its body read; the body is then streamed and reading stops at the limit
 * (413, connection closed). Accepted events go to `onEvents`; the answer is JSON.
 */
export async function startWebhookServer(opts: WebhookServerOptions): Promise<WebhookServer> {
  const cfg: ReceiverConfig = {
    secret: opts.secret,
    registryHost: opts.registryHost,
    maxBodyBytes: opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    ...(opts.ignoreRepository ? { ignoreRepository: opts.ignoreRepository } : {}),
  };
  validateReceiverConfig(cfg);
  const log = opts.log;

  const server = http.createServer((req, res) => {
    const head = {
      method: req.method ?? "GET",
      path: req.url ?? "/",
      headers: flatHeaders(req.headers),
    };
    const early = checkWebhookHead(head, cfg);
    if (early) {
      // Nothing of the body is read: answer and close.
      answer(res, early, early.status !== 200, log);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on("data", (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size > cfg.maxBodyBytes) {
        over = true;
        chunks.length = 0;
        req.pause();
        answer(res, bodyTooLarge(cfg), true, log);
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => {
      if (over) return;
      let result: WebhookResponse;
      try {
        result = handleWebhookRequest({ ...head, body: Buffer.concat(chunks) }, cfg);
      } catch (err) {
        // A bug or a throwing ignoreRepository: the sender retries, the server stays up.
        log?.error("webhook request failed", { error: (err as Error).message });
        answer(
          res,
          failure("WEBHOOK_INTERNAL_ERROR", 500, "the receiver failed on this request; retry"),
          true,
          log,
        );
        return;
      }
      if (result.status === 202 && result.events.length > 0) {
        try {
          opts.onEvents(result.events);
        } catch (err) {
          log?.error("webhook events could not be queued", { error: (err as Error).message });
          answer(
            res,
            failure(
              "WEBHOOK_UNAVAILABLE",
              503,
              `the receiver took no events (${(err as Error).message}); the registry will retry`,
            ),
            true,
            log,
          );
          return;
        }
      }
      if (result.status === 202) {
        log?.info("webhook accepted", {
          accepted: result.body.accepted,
          ignored: (result.ignoredEvents ?? []).map((e) => ({
            eventId: e.eventId,
            reason: e.reason,
          })),
        });
      }
      answer(res, result, result.status >= 400, log);
    });
    req.on("error", () => res.destroy());
  });
  // Slow senders do not hold a socket for long.
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, opts.host ?? "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port, address, family } = server.address() as AddressInfo;
  const host = family === "IPv6" ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function flatHeaders(h: http.IncomingHttpHeaders): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(h)) out[k] = Array.isArray(v) ? v.join(", ") : v;
  return out;
}

function failure(code: string, status: number, message: string): WebhookResponse {
  return { status, body: { ok: false, code, message }, events: [] };
}

function answer(res: http.ServerResponse, r: WebhookResponse, close: boolean, log?: Log): void {
  if (r.status >= 400) {
    // The code and message only: never the headers (the secret) or the body.
    log?.warn("webhook refused", { status: r.status, code: r.body.code, message: r.body.message });
  }
  const text = JSON.stringify(r.body);
  res.writeHead(r.status, {
    ...r.headers,
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
    ...(close ? { connection: "close" } : {}),
  });
  res.end(text);
}
