import { awsPipelineDeps } from "./runtime/aws-pipeline-deps.ts";
import { handleRawEvent } from "./runtime/handle-raw-event.ts";
import { observability } from "./runtime/observability.ts";

// Basic (ECR Image Scan) and enhanced (Inspector2 Scan) completions: the gate runs here.
const ACCEPTS = ["scan-completed"] as const;

const { logger, metrics, wrap } = observability("on-scan-complete");
const deps = awsPipelineDeps(process.env, logger);

export const handler = wrap((event: unknown) => handleRawEvent(deps, metrics, event, ACCEPTS));
