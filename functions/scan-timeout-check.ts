import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { checkScanTimeouts } from "../shared/pipeline/check-scan-timeouts.ts";
import type { PipelineOutcome } from "../shared/pipeline/pipeline-outcome.ts";
import { ScanTimeoutSweepError } from "../shared/pipeline/scan-timeout-sweep-error.ts";
import { awsPipelineDeps } from "./runtime/aws-pipeline-deps.ts";
import { observability } from "./runtime/observability.ts";

const { logger, metrics, wrap } = observability("scan-timeout-check");
const deps = awsPipelineDeps(process.env, logger);

function report(outcomes: PipelineOutcome[]) {
  const failed = outcomes.filter((o) => o.verdict === "fail").length;
  metrics.addMetric("TimeoutDecisions", MetricUnit.Count, outcomes.length);
  metrics.addMetric("TimeoutFailures", MetricUnit.Count, failed);
  logger.info("scan-timeout sweep done", { decided: outcomes.length, failed });
  return { decided: outcomes.length, failed };
}

/**
 * Runs on a schedule; the scheduled event's content does not matter. Images that could not be
 * decided fail the run (so it alarms) after the others are decided and counted.
 */
export const handler = wrap(async (_event: unknown) => {
  try {
    return report(await checkScanTimeouts(deps));
  } catch (err) {
    if (err instanceof ScanTimeoutSweepError) {
      report(err.outcomes);
      metrics.addMetric("TimeoutErrors", MetricUnit.Count, err.failures.length);
    }
    throw err;
  }
});
