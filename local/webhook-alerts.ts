import { randomUUID } from "node:crypto";
import type { Alert, Alerts } from "../shared/ports.ts";

/** The alert webhook refused the alert or did not answer. */
export class AlertWebhookError extends Error {
  readonly code = "LOCAL_ALERT_WEBHOOK";
  readonly status?: number;
  constructor(message: string, status?: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "AlertWebhookError";
    if (status !== undefined) this.status = status;
  }
}

export interface WebhookAlertsOptions {
  url: string;
  /** Per request. Default 5 s. */
  timeoutMs?: number;
}

/**
 * POSTs each alert's JSON to a URL (what an SNS HTTPS subscriber would get as the message),
 * with the filter attributes as headers. Any 2xx is success; anything else fails the publish.
 */
export class WebhookAlerts implements Alerts {
  private readonly url: URL;
  private readonly timeoutMs: number;

  constructor(opts: WebhookAlertsOptions) {
    let url: URL;
    try {
      url = new URL(opts.url);
    } catch {
      throw new AlertWebhookError(
        `--alert-webhook ${opts.url}: not a URL; expected http(s)://host/path`,
      );
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new AlertWebhookError(
        `--alert-webhook ${opts.url}: only http and https URLs are supported`,
      );
    }
    this.url = url;
    this.timeoutMs = opts.timeoutMs ?? 5000;
  }

  async publish(alert: Alert): Promise<{ messageId?: string }> {
    const messageId = randomUUID();
    let res: Response;
    try {
      res = await fetch(this.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-registry-guard-message-id": messageId,
          "x-registry-guard-event-type": alert.attributes.eventType,
          "x-registry-guard-severity": alert.attributes.severity,
        },
        body: JSON.stringify({
          messageId,
          subject: alert.subject,
          attributes: alert.attributes,
          message: alert.json,
        }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      await res.arrayBuffer();
    } catch (err) {
      throw new AlertWebhookError(
        `alert webhook ${this.url.origin}${this.url.pathname} did not answer: ${(err as Error).message}`,
        undefined,
        { cause: err },
      );
    }
    if (!res.ok) {
      throw new AlertWebhookError(
        `alert webhook ${this.url.origin}${this.url.pathname} answered HTTP ${res.status}`,
        res.status,
      );
    }
    return { messageId };
  }
}
