import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { functionUrlResult, requestFromFunctionUrl } from "../shared/receiver/function-url.ts";
import { receiveWebhook } from "../shared/receiver/receive-webhook.ts";
import { observability } from "./runtime/observability.ts";
import { ociPipelineDeps, webhookReceiverConfig } from "./runtime/oci-pipeline-deps.ts";

// Registry webhooks (CNCF distribution, Harbor) through a Function URL; the pipeline runs inline
// and a failure answers 500, so the registry retries.
const { logger, metrics, wrap } = observability("webhook-receiver");
const deps = ociPipelineDeps(process.env, logger);
const receiver = webhookReceiverConfig(process.env, deps.registry);

export const handler = wrap(async (event: unknown) => {
  const request = requestFromFunctionUrl(event);
  const response = await receiveWebhook(request, receiver, deps, (name) =>
    metrics.addMetric(name, MetricUnit.Count, 1),
  );
  return functionUrlResult(response);
});
