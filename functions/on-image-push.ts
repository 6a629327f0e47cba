import { awsPipelineDeps } from "./runtime/aws-pipeline-deps.ts";
import { handleRawEvent } from "./runtime/handle-raw-event.ts";
import { observability } from "./runtime/observability.ts";

// ECR pushes and deletes, referrer pushes and CloudTrail PutImage: recorded, never gated here.
const ACCEPTS = ["image-pushed", "image-deleted", "referrer-pushed", "push-recorded"] as const;

const { logger, metrics, wrap } = observability("on-image-push");
const deps = awsPipelineDeps(process.env, logger);

export const handler = wrap((event: unknown) => handleRawEvent(deps, metrics, event, ACCEPTS));
