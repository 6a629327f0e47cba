import type { PipelineOutcome } from "../shared/pipeline/pipeline-outcome.ts";

/**
 * One readable line for what handling an event did, for the local runtime's console; null for
 * what nobody watching needs (ignored events, duplicates that changed nothing).
 */
export function outcomeLine(o: PipelineOutcome): string | null {
  if (o.status === "ignored") return null;
  const done = o.steps.filter((s) => s.status === "done").map((s) => s.action);
  if (done.length === 0 && o.status !== "pending" && o.status !== "image-gone") return null;
  const image = o.image ?? "(no image)";
  switch (o.status) {
    case "decided": {
      const effects = done.filter((a) => a === "quarantined" || a === "alert-sent");
      const verdict = (o.verdict ?? "?").toUpperCase();
      return `${verdict.padEnd(4)} ${image}${effects.length ? ` → ${effects.join(", ")}` : ""}  [${o.kind} ${o.eventId}]`;
    }
    case "pending":
      return `WAIT ${image}: no scan report yet, ${o.note ?? ""}  [${o.kind} ${o.eventId}]`;
    case "image-gone":
      return `GONE ${image}: no longer in the registry  [${o.kind} ${o.eventId}]`;
    default:
      return `     ${image}: ${done.join(", ")}${o.note ? ` (${o.note})` : ""}  [${o.kind} ${o.eventId}]`;
  }
}
