import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { checkScanTimeouts } from "../shared/pipeline/check-scan-timeouts.ts";
import { awsPipelineDeps } from "./runtime/aws-pipeline-deps.ts";
import { observability } from "./runtime/observability.ts";

const { logger, metrics, wrap } = observability("scan-timeout-check");
const deps = awsPipelineDeps(process.env, logger);

/** Runs on a schedule; the scheduled event's content does not matter. */
export const handler = wrap(async (_event: unknown) => {
  const outcomes = await checkScanTimeouts(deps);
  const failed = outcomes.filter((o) => o.verdict === "fail").length;
  metrics.addMetric("TimeoutDecisions", MetricUnit.Count, outcomes.length);
  metrics.addMetric("TimeoutFailures", MetricUnit.Count, failed);
  logger.info("scan-timeout sweep done", { decided: outcomes.length, failed });
  return { decided: outcomes.length, failed };
});
