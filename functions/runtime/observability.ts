import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import middy from "@middy/core";

/** Logger and EMF metrics for one function, created once per container. */
export function observability(serviceName: string) {
  const logger = new Logger({ serviceName });
  const metrics = new Metrics({ namespace: "RegistryGuard", serviceName });
  return {
    logger,
    metrics,
    /** Wraps a handler with structured logs (correlation id = request id) and metric flushing. */
    wrap<E, R>(fn: (event: E) => Promise<R>) {
      return middy(fn)
        .use(injectLambdaContext(logger, { correlationIdPath: "id" }))
        .use(logMetrics(metrics, { captureColdStartMetric: true }));
    },
  };
}
