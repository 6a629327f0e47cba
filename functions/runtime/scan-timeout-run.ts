import type { Logger } from "@aws-lambda-powertools/logger";
import type { Metrics } from "@aws-lambda-powertools/metrics";
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import {
  checkScanTimeouts,
  type ScanTimeoutOptions,
} from "../../shared/pipeline/check-scan-timeouts.ts";
import { checkSignatureDeadlines } from "../../shared/pipeline/check-signature-deadlines.ts";
import type { PipelineDeps } from "../../shared/pipeline/pipeline-deps.ts";
import type { PipelineOutcome } from "../../shared/pipeline/pipeline-outcome.ts";
import { ScanTimeoutSweepError } from "../../shared/pipeline/scan-timeout-sweep-error.ts";

/**
 * One scheduled scan-timeout sweep with its metrics, for either registry family, followed by the
 * signature deadline sweep (check-signature-deadlines.ts) over the same images. Images that
 * could not be decided fail the run (so it alarms) after the others are decided and counted.
 */
export async function runScanTimeoutSweep(
  deps: PipelineDeps,
  { logger, metrics }: { logger: Logger; metrics: Metrics },
  options: ScanTimeoutOptions = {},
): Promise<{ decided: number; failed: number }> {
  const report = (outcomes: PipelineOutcome[]) => {
    const failed = outcomes.filter((o) => o.verdict === "fail").length;
    metrics.addMetric("TimeoutDecisions", MetricUnit.Count, outcomes.length);
    metrics.addMetric("TimeoutFailures", MetricUnit.Count, failed);
    logger.info("scan-timeout sweep done", { decided: outcomes.length, failed });
    return { decided: outcomes.length, failed };
  };
  let scan: { decided: number; failed: number } | undefined;
  let error: unknown;
  try {
    scan = report(await checkScanTimeouts(deps, options));
  } catch (err) {
    if (err instanceof ScanTimeoutSweepError) {
      report(err.outcomes);
      metrics.addMetric("TimeoutErrors", MetricUnit.Count, err.failures.length);
    }
    error = err;
  }
  // Signature deadlines run even when some scan decisions failed: one does not starve the other.
  try {
    const outcomes = await checkSignatureDeadlines(deps, options);
    reportSignatures(outcomes);
  } catch (err) {
    if (err instanceof ScanTimeoutSweepError) {
      reportSignatures(err.outcomes);
      metrics.addMetric("SignatureDeadlineErrors", MetricUnit.Count, err.failures.length);
    }
    error ??= err;
  }
  if (error !== undefined || !scan) throw error;
  return scan;

  function reportSignatures(outcomes: PipelineOutcome[]) {
    const failed = outcomes.filter((o) => o.verdict === "fail").length;
    metrics.addMetric("SignatureDeadlineDecisions", MetricUnit.Count, outcomes.length);
    metrics.addMetric("SignatureFailures", MetricUnit.Count, failed);
    logger.info("signature deadline sweep done", { decided: outcomes.length, failed });
  }
}
