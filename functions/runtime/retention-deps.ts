import { randomUUID } from "node:crypto";
import type { Logger } from "@aws-lambda-powertools/logger";
import { type Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { ECRClient } from "@aws-sdk/client-ecr";
import { ECSClient } from "@aws-sdk/client-ecs";
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import type { Context } from "aws-lambda";
import { EcrRetentionRegistry } from "../../shared/adapters/ecr/ecr-retention-registry.ts";
import { EcsInUseProvider } from "../../shared/adapters/ecs/ecs-in-use.ts";
import { awsClientConfig, ecrClientConfig } from "../../shared/adapters/retry-config.ts";
import { retentionPolicyOf } from "../../shared/domain/retention-policy-of.ts";
import type { Clock } from "../../shared/ports.ts";
import {
  DEFAULT_INVOCATION_SETTINGS,
  type RetentionInvocationDeps,
  type RetentionInvocationResult,
  type RetentionInvocationSettings,
  runRetentionInvocation,
} from "../../shared/retention/retention-invocation.ts";
import { RetentionPayloadError } from "../../shared/retention/retention-payload.ts";
import type { InUseProvider } from "../../shared/retention/retention-ports.ts";
import { awsCoreDeps, requiredEnv } from "./aws-core-deps.ts";

/** Comma-separated ECS cluster names or ARNs whose running tasks protect digests. */
const ECS_CLUSTERS_ENV = "RETENTION_ECS_CLUSTERS";

/** Whole seconds in [min, max] from the environment, or the default. */
function secondsEnv(env: NodeJS.ProcessEnv, name: string, min: number, max: number) {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < min || n > max) {
    throw new Error(
      `environment variable ${name}=${raw}: expected a whole number from ${min} to ${max}`,
    );
  }
  return n;
}

/** RETENTION_SAFETY_MARGIN_SECONDS and RETENTION_MAX_CONTINUATIONS, checked at load. */
export function invocationSettings(env: NodeJS.ProcessEnv): RetentionInvocationSettings {
  const margin = secondsEnv(env, "RETENTION_SAFETY_MARGIN_SECONDS", 1, 840);
  const max = secondsEnv(env, "RETENTION_MAX_CONTINUATIONS", 0, 1000);
  return {
    safetyMarginMs:
      margin !== undefined ? margin * 1000 : DEFAULT_INVOCATION_SETTINGS.safetyMarginMs,
    maxContinuations: max ?? DEFAULT_INVOCATION_SETTINGS.maxContinuations,
  };
}

/** "20240601T030000Z-1a2b3c4d": sortable, unique, readable in a log search. */
export function newRunId(clock: Clock): string {
  const at = clock()
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
  return `${at}-${randomUUID().slice(0, 8)}`;
}

/** arn:aws:lambda:region:account:function:name, without a version or alias qualifier. */
function unqualified(arn: string): string {
  return arn.split(":").slice(0, 7).join(":");
}

/**
 * The retention function's adapters from the Lambda environment, built once per container:
 * the core (policy, audit table, alerts topic), ECR, Lambda for continuations and, when the
 * policy protects digests in use, ECS (clusters from RETENTION_ECS_CLUSTERS, default all). The
 * registry is the function's own account, read from the invoked ARN on first use.
 */
export function retentionDeps(
  env: NodeJS.ProcessEnv,
  log: Logger,
): (context: Context) => RetentionInvocationDeps {
  const core = awsCoreDeps(env, log);
  const region = requiredEnv(env, "AWS_REGION");
  const settings = invocationSettings(env);
  const ecr = new ECRClient(ecrClientConfig());
  const lambda = new LambdaClient(awsClientConfig());
  const clusters = (env[ECS_CLUSTERS_ENV] ?? "")
    .split(",")
    .map((c) => c.trim())
    .filter((c) => c !== "");
  const inUse: InUseProvider | undefined = retentionPolicyOf(core.policy).protections.inUse
    ? new EcsInUseProvider({
        client: new ECSClient(awsClientConfig()),
        ...(clusters.length ? { clusters } : {}),
      })
    : undefined;
  let registry: EcrRetentionRegistry | undefined;

  return (context) => {
    const self = unqualified(context.invokedFunctionArn);
    const account = self.split(":")[4] ?? "";
    if (registry?.registryId !== account) {
      registry = new EcrRetentionRegistry({ client: ecr, registryId: account, region, log });
    }
    return {
      retention: { ...core, registry, ...(inUse ? { inUse } : {}) },
      settings,
      newRunId: () => newRunId(core.clock),
      async continueWith(payload) {
        const out = await lambda.send(
          new InvokeCommand({
            FunctionName: self,
            InvocationType: "Event",
            Payload: new TextEncoder().encode(JSON.stringify(payload)),
          }),
        );
        // Lambda answers 202 when it queued an asynchronous invocation.
        if (out.StatusCode !== 202) {
          throw new Error(
            `continuation of retention run ${payload.runId} not queued (status ${out.StatusCode})`,
          );
        }
      },
    };
  };
}

/**
 * One invocation with its metrics. A rejected payload is logged with its issues, counted and
 * thrown: the caller of `aws lambda invoke` sees why, a schedule's bad input alarms.
 */
export async function retentionStep(
  deps: RetentionInvocationDeps,
  { logger, metrics }: { logger: Logger; metrics: Metrics },
  event: unknown,
  context: Context,
): Promise<RetentionInvocationResult> {
  let result: RetentionInvocationResult;
  try {
    result = await runRetentionInvocation(deps, event, () => context.getRemainingTimeInMillis());
  } catch (err) {
    if (err instanceof RetentionPayloadError) {
      logger.error("retention payload rejected", { code: err.code, issues: err.issues });
      metrics.addMetric("InvalidPayload", MetricUnit.Count, 1);
    }
    throw err;
  }
  metrics.addMetric("RetentionRepositories", MetricUnit.Count, result.repositoriesThisStep);
  if (result.continued) {
    metrics.addMetric("RetentionContinued", MetricUnit.Count, 1);
    return result;
  }
  // The last step reports the whole run once.
  metrics.addMetric(
    result.dryRun ? "RetentionPlannedDeletions" : "RetentionDeleted",
    MetricUnit.Count,
    result.deleted,
  );
  metrics.addMetric("RetentionFailedDeletions", MetricUnit.Count, result.failed);
  metrics.addMetric("RetentionRepositoryErrors", MetricUnit.Count, result.errors);
  if (result.stopped) metrics.addMetric("RetentionStopped", MetricUnit.Count, 1);
  return result;
}
