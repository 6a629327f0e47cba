import type { WebhookKind } from "../events/parse-webhook.ts";

/** The receiver's endpoints: one per webhook kind, and a health check. */
export type WebhookRoute =
  | { name: "webhook"; kind: WebhookKind; method: "POST" }
  | { name: "health"; method: "GET" };

export const WEBHOOK_PATHS: Readonly<Record<WebhookKind, string>> = {
  distribution: "/webhooks/distribution",
  harbor: "/webhooks/harbor",
};
export const HEALTH_PATH = "/healthz";

/** The route of a request path (its query string disregarded); null for an unknown path. */
export function routeOf(path: string): WebhookRoute | null {
  const p = path.split("?", 1)[0] ?? "";
  if (p === HEALTH_PATH) return { name: "health", method: "GET" };
  for (const [kind, route] of Object.entries(WEBHOOK_PATHS) as [WebhookKind, string][]) {
    if (p === route) return { name: "webhook", kind, method: "POST" };
  }
  return null;
}
