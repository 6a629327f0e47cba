import type { IgnoredEvent } from "../domain/registry-event.ts";

export function ignored(eventId: string, source: string, reason: string): IgnoredEvent {
  return { kind: "ignored", eventId, source, reason };
}

/** Event-supplied words in a reason are cut short: reasons end up in logs and audit detail. */
export function quoteShort(value: string): string {
  return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
}
