import {
  BUNDLED_POLICY_FILE,
  FUNCTION_SPECS,
  type FunctionName,
  perFunction,
} from "./data/function-specs.ts";
import { deadLetterStatement, functionStatements, toPermission } from "./data/iam-statements.ts";
import { fixedFunctionName, functionArn } from "./data/retention-function.ts";
import type { DeadLetterQueues } from "./dead-letter-queues.ts";
import { iamContextOf } from "./iam-context.ts";
import type { DeploymentLocation } from "./location.ts";

export interface FunctionsInput {
  location: DeploymentLocation;
  table: sst.aws.Dynamo;
  topic: sst.aws.SnsTopic;
  topicKey: aws.kms.Key;
  deadLetters: DeadLetterQueues;
  /** Policy file to bundle, relative to the repository root. */
  policySource: string;
  /** The KMS keys the bundled policy trusts by kmsArn: kms:GetPublicKey is scoped to them. */
  signingKeyArns: readonly string[];
  repositoryPrefixes: readonly string[];
  /** Environment variables only some functions get (e.g. retention-run's ECS clusters). */
  environment?: Partial<Record<FunctionName, Record<string, string>>>;
}

/**
 * The functions. Permissions come only from infra/data/iam-statements.ts: no `link`, whose
 * grants (e.g. dynamodb:* on a linked table) are wider than the code needs. A function that
 * invokes itself gets a fixed name, so its role can name its ARN before it exists.
 */
export function functions(input: FunctionsInput): Record<FunctionName, sst.aws.Function> {
  const { table, topic, deadLetters } = input;
  const build = (fn: FunctionName) => {
    const spec = FUNCTION_SPECS[fn];
    const dlq = deadLetters.functions[fn];
    const name = spec.selfInvoking
      ? fixedFunctionName($app.name, $app.stage, spec.componentName)
      : undefined;
    const permissions = $util.all([iamContextOf(input), dlq.arn]).apply(([ctx, dlqArn]) =>
      [
        ...functionStatements(fn, {
          ...ctx,
          repositoryPrefixes: input.repositoryPrefixes,
          signingKeyArns: input.signingKeyArns,
          ...(name
            ? { functionArn: functionArn(ctx.partition, ctx.region, ctx.account, name) }
            : {}),
        }),
        deadLetterStatement(dlqArn),
      ].map(toPermission),
    );
    return new sst.aws.Function(spec.componentName, {
      ...(name ? { name } : {}),
      handler: spec.handler,
      description: spec.description,
      runtime: spec.runtime,
      architecture: spec.architecture,
      memory: `${spec.memoryMb} MB`,
      timeout: `${spec.timeoutSeconds} seconds`,
      // Lambda's retries of failed asynchronous (EventBridge) invocations; then the DLQ below.
      retries: spec.asyncRetries,
      environment: {
        TABLE_NAME: table.name,
        TOPIC_ARN: topic.arn,
        // Relative to the function's working directory, the bundle root (/var/task).
        POLICY_FILE: BUNDLED_POLICY_FILE,
        ...input.environment?.[fn],
      },
      copyFiles: [{ from: input.policySource, to: BUNDLED_POLICY_FILE }],
      permissions,
      logging: { retention: "3 months", format: "json" },
      transform: {
        // The original event lands here after the last retry, ready to be redriven as is.
        function: { deadLetterConfig: { targetArn: dlq.arn } },
      },
    });
  };
  return perFunction(build);
}
