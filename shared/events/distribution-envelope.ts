import * as z from "zod";
import type { IgnoredEvent, RegistryEvent } from "../domain/registry-event.ts";
import {
  DISTRIBUTION_EVENT_TYPE,
  decideDistribution,
  distributionDelete,
  distributionHead,
  distributionPush,
  ignoredDistribution,
  normalizeDistributionDelete,
  normalizeDistributionPush,
} from "./distribution-event.ts";
import { assertRegistryHost, requireJsonObject } from "./distribution-fields.ts";
import { EventParseError } from "./event-parse-error.ts";
import { validateEvent } from "./validate-event.ts";

/**
 * The envelope's media type: v1 up to distribution 2.8, v2 from 3.0 (the same JSON; v3 added the
 * `mount` action and `target.references`).
 */
export const DISTRIBUTION_ENVELOPE_MEDIA_TYPES = [
  "application/vnd.docker.distribution.events.v1+json",
  "application/vnd.docker.distribution.events.v2+json",
] as const;

/** The registry sends one event per request; the bound only keeps a crafted body cheap. */
export const MAX_ENVELOPE_EVENTS = 1000;

const envelope = z.object({ events: z.array(z.unknown()).max(MAX_ENVELOPE_EVENTS) });

export interface DistributionOptions {
  /** The registry's host[:port] as we are configured with it: the image's registryId. */
  registryHost: string;
}

/**
 * A CNCF distribution notification body (`{ "events": [...] }`) → one normalized event per entry,
 * in order. Manifest pushes and deletes by digest become events; everything else is ignored with
 * the reason. One malformed entry rejects the whole envelope (the error's path names it, e.g.
 * `events[2].target.digest`), so a body is either taken whole or not at all.
 */
export function parseDistributionEnvelope(
  body: unknown,
  opts: DistributionOptions,
): (RegistryEvent | IgnoredEvent)[] {
  assertRegistryHost(opts.registryHost);
  requireJsonObject(body, DISTRIBUTION_EVENT_TYPE);
  const { events } = validateEvent(envelope, body, DISTRIBUTION_EVENT_TYPE);
  return events.map((raw, i) => parseOne(raw, i, opts.registryHost));
}

function parseOne(raw: unknown, index: number, registryHost: string): RegistryEvent | IgnoredEvent {
  const head = validateEntry(distributionHead, raw, index);
  const decision = decideDistribution(head);
  switch (decision.kind) {
    case "ignore":
      return ignoredDistribution(head, decision.reason);
    case "push":
      return normalizeDistributionPush(validateEntry(distributionPush, raw, index), registryHost);
    case "delete":
      return normalizeDistributionDelete(
        validateEntry(distributionDelete, raw, index),
        registryHost,
      );
  }
}

/** validateEvent for one entry, with the entry's place in the envelope put in front of every path. */
function validateEntry<S extends z.ZodType>(schema: S, raw: unknown, index: number): z.output<S> {
  try {
    return validateEvent(schema, raw, DISTRIBUTION_EVENT_TYPE);
  } catch (err) {
    if (!(err instanceof EventParseError)) throw err;
    const at = (path: string | undefined) =>
      path === undefined || path === "(event)" ? `events[${index}]` : `events[${index}].${path}`;
    const problems = err.problems.map((p) => ({ ...p, path: at(p.path) }));
    const first = problems[0];
    const more = problems.length - 1;
    const id = err.eventId ? ` ${err.eventId}` : "";
    const message = first
      ? `Invalid "${DISTRIBUTION_EVENT_TYPE}" event${id}: ${first.path} ${first.message}` +
        (more > 0 ? ` (and ${more} more problem${more === 1 ? "" : "s"})` : "")
      : err.message;
    throw new EventParseError(err.code, message, {
      eventType: DISTRIBUTION_EVENT_TYPE,
      ...(err.eventId ? { eventId: err.eventId } : {}),
      path: at(err.path),
      problems,
    });
  }
}
