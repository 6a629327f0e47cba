import { type Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { EventParseError } from "../../shared/events/event-parse-error.ts";
import { parseRegistryEvent } from "../../shared/events/parse-event.ts";
import { handleEvent } from "../../shared/pipeline/handle-event.ts";
import type { PipelineDeps } from "../../shared/pipeline/pipeline-deps.ts";
import type { PipelineOutcome } from "../../shared/pipeline/pipeline-outcome.ts";

export type RawEventResult =
  | PipelineOutcome
  | { status: "rejected"; code: string; message: string }
  | { status: "misrouted"; kind: string };

/**
 * Parses one raw EventBridge event and runs the pipeline on it. Bad input is logged with its
 * specific error and counted, and nothing else happens: retrying it could never succeed, so it
 * is not thrown. Failures of side effects are thrown, so Lambda retries them and then dead-letters.
 */
export async function handleRawEvent(
  deps: PipelineDeps,
  metrics: Metrics,
  raw: unknown,
  acceptedKinds: readonly string[],
): Promise<RawEventResult> {
  let event: ReturnType<typeof parseRegistryEvent>;
  try {
    event = parseRegistryEvent(raw);
  } catch (err) {
    if (!(err instanceof EventParseError)) throw err;
    deps.log.error("rejected event", {
      code: err.code,
      reason: err.message,
      ...(err.eventType ? { eventType: err.eventType } : {}),
      ...(err.path ? { path: err.path } : {}),
    });
    metrics.addMetric("InvalidEvent", MetricUnit.Count, 1);
    return { status: "rejected", code: err.code, message: err.message };
  }
  if (event.kind !== "ignored" && !acceptedKinds.includes(event.kind)) {
    deps.log.error("event routed to the wrong function; check the EventBridge rules", {
      kind: event.kind,
    });
    metrics.addMetric("MisroutedEvent", MetricUnit.Count, 1);
    return { status: "misrouted", kind: event.kind };
  }
  const outcome = await handleEvent(deps, event);
  deps.log.info("event handled", { outcome: { ...outcome, gate: undefined } });
  metrics.addMetric(`Outcome_${outcome.status}`, MetricUnit.Count, 1);
  if (outcome.verdict)
    metrics.addMetric(
      outcome.verdict === "fail" ? "GateFailed" : "GatePassed",
      MetricUnit.Count,
      1,
    );
  return outcome;
}
