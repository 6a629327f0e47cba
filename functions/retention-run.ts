import type { Context } from "aws-lambda";
import { observability } from "./runtime/observability.ts";
import { retentionDeps, retentionStep } from "./runtime/retention-deps.ts";

const { logger, metrics, wrap } = observability("retention-run");
const depsFor = retentionDeps(process.env, logger);

/**
 * Retention and garbage collection of the account's ECR repositories: on demand (`aws lambda
 * invoke`), on the policy's schedule (EventBridge Scheduler), and from its own continuations.
 * The payload is documented in docs/retention-runs.md.
 */
export const handler = wrap(async (event: unknown, context?: Context) => {
  if (!context) throw new Error("retention-run needs the Lambda context (remaining time, own ARN)");
  return retentionStep(depsFor(context), { logger, metrics }, event, context);
});
