import { awsPipelineDeps } from "./runtime/aws-pipeline-deps.ts";
import { observability } from "./runtime/observability.ts";
import { runScanTimeoutSweep } from "./runtime/scan-timeout-run.ts";

const { logger, metrics, wrap } = observability("scan-timeout-check");
const deps = awsPipelineDeps(process.env, logger);

/** Runs on a schedule (the event's content does not matter) over the ECR images pushed. */
export const handler = wrap(async (_event: unknown) =>
  runScanTimeoutSweep(deps, { logger, metrics }),
);
