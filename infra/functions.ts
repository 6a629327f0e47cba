import {
  BUNDLED_POLICY_FILE,
  FUNCTION_SPECS,
  type FunctionName,
  perFunction,
} from "./data/function-specs.ts";
import {
  deadLetterStatement,
  functionStatements,
  type IamStatement,
} from "./data/iam-statements.ts";
import type { DeadLetterQueues } from "./dead-letter-queues.ts";
import type { DeploymentLocation } from "./location.ts";

export interface FunctionsInput {
  location: DeploymentLocation;
  table: sst.aws.Dynamo;
  topic: sst.aws.SnsTopic;
  topicKey: aws.kms.Key;
  deadLetters: DeadLetterQueues;
  /** Policy file to bundle, relative to the repository root. */
  policySource: string;
  repositoryPrefixes: readonly string[];
}

function toPermission({ effect, actions, resources, conditions }: IamStatement) {
  return { effect, actions, resources, ...(conditions ? { conditions } : {}) };
}

/**
 * The three functions. Permissions come only from infra/data/iam-statements.ts: no `link`, whose
 * grants (e.g. dynamodb:* on a linked table) are wider than the code needs.
 */
export function functions(input: FunctionsInput): Record<FunctionName, sst.aws.Function> {
  const { location, table, topic, topicKey, deadLetters } = input;
  const build = (fn: FunctionName) => {
    const spec = FUNCTION_SPECS[fn];
    const dlq = deadLetters.functions[fn];
    const permissions = $util
      .all([
        location.partition,
        location.region,
        location.account,
        table.arn,
        topic.arn,
        topicKey.arn,
        dlq.arn,
      ])
      .apply(([partition, region, account, tableArn, topicArn, topicKeyArn, dlqArn]) =>
        [
          ...functionStatements(fn, {
            partition,
            region,
            account,
            tableArn,
            topicArn,
            topicKeyArn,
            repositoryPrefixes: input.repositoryPrefixes,
          }),
          deadLetterStatement(dlqArn),
        ].map(toPermission),
      );
    return new sst.aws.Function(spec.componentName, {
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
