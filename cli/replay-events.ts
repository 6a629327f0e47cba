import type { IgnoredEvent, RegistryEvent } from "../shared/domain/registry-event.ts";
import { DISTRIBUTION_ENVELOPE_MEDIA_TYPES } from "../shared/events/distribution-envelope.ts";
import { parseRegistryEvent } from "../shared/events/parse-event.ts";
import {
  CLOUDEVENTS_MEDIA_TYPE,
  HARBOR_DEFAULT_MEDIA_TYPE,
  parseWebhook,
} from "../shared/events/parse-webhook.ts";
import { CliUsageError } from "./cli-error.ts";
import type { RegistrySettings } from "./registry-settings.ts";

/** What kind of recorded event a file holds, from its shape. */
export type ReplaySource = "eventbridge" | "distribution" | "harbor";

const LABEL: Record<ReplaySource, string> = {
  eventbridge: "an EventBridge event (Amazon ECR)",
  distribution: "a CNCF distribution notification",
  harbor: "a Harbor webhook",
};

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * A distribution notification is an envelope `{ "events": [...] }`; a Harbor webhook has
 * `type` and `event_data` (Default) or `specversion` (CloudEvents); anything else is taken as
 * EventBridge, whose parser explains what it expected.
 */
export function replaySource(raw: unknown): ReplaySource {
  if (!isObject(raw)) return "eventbridge";
  if (Array.isArray(raw.events)) return "distribution";
  if (typeof raw.specversion === "string" || (typeof raw.type === "string" && "event_data" in raw))
    return "harbor";
  return "eventbridge";
}

/**
 * The normalized events of a recorded event file, for the registry the command talks to. A
 * webhook body names no registry: its images belong to the --registry host, exactly as the
 * receiver configured for that registry would name them.
 */
export function replayEvents(
  raw: unknown,
  registry: RegistrySettings,
  file: string,
): (RegistryEvent | IgnoredEvent)[] {
  const source = replaySource(raw);
  if (source === "eventbridge") {
    if (registry.kind === "oci") {
      throw new CliUsageError(
        "CLI_EVENT_REGISTRY",
        isObject(raw) && "detail-type" in raw
          ? `--event ${file} is ${LABEL.eventbridge}, but --registry is the OCI registry ${registry.url}; leave --registry out for ECR events`
          : `--event ${file} is neither a distribution notification ({"events": [...]}) nor a Harbor webhook, which is what --registry ${registry.url} replays`,
      );
    }
    return [parseRegistryEvent(raw)];
  }
  if (registry.kind !== "oci") {
    throw new CliUsageError(
      "CLI_EVENT_REGISTRY",
      `--event ${file} is ${LABEL[source]}: pass --registry with the URL of the registry that sent it (its images are named by that host)`,
    );
  }
  const contentType =
    source === "distribution"
      ? DISTRIBUTION_ENVELOPE_MEDIA_TYPES[0]
      : isObject(raw) && typeof raw.specversion === "string"
        ? CLOUDEVENTS_MEDIA_TYPE
        : HARBOR_DEFAULT_MEDIA_TYPE;
  const events = parseWebhook(source, contentType, raw, { registryHost: registry.host });
  if (events.length === 0) {
    throw new CliUsageError("CLI_EVENT_EMPTY", `--event ${file}: the notification has no events`);
  }
  return events;
}
