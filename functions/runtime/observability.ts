import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import middy from "@middy/core";

/**
 * Reads the correlation id from a top-level field of the event. Powertools' own JMESPath search
 * needs @aws-lambda-powertools/jmespath, which we do not ship for a one-field lookup; without a
 * search function the logger warns and drops the id.
 */
function topLevelField(path: string, event: unknown): unknown {
  if (typeof event !== "object" || event === null || !Object.hasOwn(event, path)) return undefined;
  const value = (event as Record<string, unknown>)[path];
  return typeof value === "string" && value.length <= 256 ? value : undefined;
}

/** Logger and EMF metrics for one function, created once per container. */
export function observability(serviceName: string) {
  const logger = new Logger({ serviceName, correlationIdSearchFn: topLevelField });
  const metrics = new Metrics({ namespace: "RegistryGuard", serviceName });
  return {
    logger,
    metrics,
    /**
     * Wraps a handler with structured logs (correlation id = the event's id) and metric
     * flushing. Keys are reset after each invocation, so an event without an id never logs
     * under the previous event's id.
     */
    wrap<E, R>(fn: (event: E) => Promise<R>) {
      return middy(fn)
        .use(injectLambdaContext(logger, { correlationIdPath: "id", resetKeys: true }))
        .use(logMetrics(metrics, { captureColdStartMetric: true }));
    },
  };
}
