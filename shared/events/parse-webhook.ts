import type { IgnoredEvent, RegistryEvent } from "../domain/registry-event.ts";
import {
  DISTRIBUTION_ENVELOPE_MEDIA_TYPES,
  parseDistributionEnvelope,
} from "./distribution-envelope.ts";
import { assertRegistryHost, baseMediaType, requireJsonObject } from "./distribution-fields.ts";
import { EventParseError } from "./event-parse-error.ts";
import { isCloudEvent } from "./harbor-payload.ts";
import { parseHarborWebhook } from "./harbor-webhook.ts";
import { preview } from "./validate-event.ts";

export type WebhookKind = "distribution" | "harbor";

export interface WebhookOptions {
  /** The sending registry's host[:port] from our configuration: the images' registryId. */
  registryHost: string;
}

export const HARBOR_DEFAULT_MEDIA_TYPE = "application/json";
/** CloudEvents structured mode; Harbor's CloudEvents format is sent this way. */
export const CLOUDEVENTS_MEDIA_TYPE = "application/cloudevents+json";

/** The Content-Type each webhook kind is accepted with (parameters such as charset aside). */
export const WEBHOOK_MEDIA_TYPES: Readonly<Record<WebhookKind, readonly string[]>> = {
  distribution: DISTRIBUTION_ENVELOPE_MEDIA_TYPES,
  harbor: [HARBOR_DEFAULT_MEDIA_TYPE, CLOUDEVENTS_MEDIA_TYPE],
};

/**
 * One webhook request (its Content-Type header and its body, already JSON-parsed) → normalized
 * events. The content type must be one the kind's registry sends; for Harbor it also says which
 * payload format the body must be in (Default as application/json, CloudEvents as
 * application/cloudevents+json). Throws EventParseError for every kind of bad input, and only
 * that; a bad `registryHost` (our own configuration) is a TypeError.
 */
export function parseWebhook(
  kind: WebhookKind,
  contentType: string | undefined,
  body: unknown,
  opts: WebhookOptions,
): (RegistryEvent | IgnoredEvent)[] {
  assertRegistryHost(opts.registryHost);
  const eventType = kind === "distribution" ? "distribution notification" : "Harbor webhook";
  const accepted = WEBHOOK_MEDIA_TYPES[kind];
  if (accepted === undefined) {
    throw new TypeError(`webhook kind must be "distribution" or "harbor"; got ${preview(kind)}`);
  }
  const mediaType = contentType === undefined ? undefined : baseMediaType(contentType);
  if (mediaType === undefined || !accepted.includes(mediaType)) {
    throw new EventParseError(
      "EVENT_UNKNOWN_TYPE",
      `Unsupported Content-Type for a ${eventType}: ${contentType === undefined ? "none" : preview(contentType)}; expected ${accepted.join(" or ")}`,
      { eventType, path: "content-type" },
    );
  }
  if (kind === "distribution") return parseDistributionEnvelope(body, opts);
  requireJsonObject(body, eventType);
  const cloudEvent = isCloudEvent(body);
  if (cloudEvent !== (mediaType === CLOUDEVENTS_MEDIA_TYPE)) {
    throw new EventParseError(
      "EVENT_INVALID",
      cloudEvent
        ? `A Harbor CloudEvents body sent as ${mediaType}; Harbor sends its CloudEvents format as ${CLOUDEVENTS_MEDIA_TYPE}`
        : `A ${CLOUDEVENTS_MEDIA_TYPE} body without specversion; Harbor's CloudEvents format always has one`,
      { eventType, path: "specversion" },
    );
  }
  return parseHarborWebhook(body, opts);
}
