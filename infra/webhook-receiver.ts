import { alarm } from "./alarms.ts";
import { functionErrorsAlarm } from "./data/alarm-specs.ts";
import { EVENT_TARGET_RETRY } from "./data/delivery-policy.ts";
import { BUNDLED_POLICY_FILE, SCAN_TIMEOUT_SCHEDULE } from "./data/function-specs.ts";
import { toPermission } from "./data/iam-statements.ts";
import { WEBHOOK_ALARMS } from "./data/webhook-alarms.ts";
import {
  OCI_SWEEP_FUNCTION_SPEC,
  WEBHOOK_ENV,
  WEBHOOK_FUNCTION_SPEC,
  WEBHOOK_SECRETS,
  webhookStatements,
} from "./data/webhook-function.ts";
import type { WebhookSettings } from "./data/webhook-settings.ts";
import { iamContextOf } from "./iam-context.ts";
import type { DeploymentLocation } from "./location.ts";

export interface WebhookReceiverInput {
  settings: WebhookSettings;
  location: DeploymentLocation;
  table: sst.aws.Dynamo;
  topic: sst.aws.SnsTopic;
  topicKey: aws.kms.Key;
  /** Policy file to bundle, relative to the repository root. */
  policySource: string;
  /** The KMS keys the bundled policy trusts by kmsArn: kms:GetPublicKey is scoped to them. */
  signingKeyArns: readonly string[];
  /** Where the sweep schedule's undeliverable invocations go (the stage's event-delivery DLQ). */
  deadLetterQueue: sst.aws.Queue;
}

/**
 * The webhook receiver of an OCI registry (CNCF distribution, Harbor): a function behind a
 * public Function URL (auth type NONE: registries cannot sign requests, the shared secret in
 * `Authorization` authenticates them), running the pipeline inline. Its secrets are SST secrets,
 * handed to the function as environment variables. No ECR permission at all; the audit table
 * and the alerts topic exactly as on-scan-complete has them.
 */
export function webhookReceiver(input: WebhookReceiverInput) {
  const { settings, table, topic } = input;
  const spec = WEBHOOK_FUNCTION_SPEC;
  const webhookSecret = new sst.Secret(WEBHOOK_SECRETS.webhookSecret);
  // Empty placeholders: an anonymous registry needs no credentials.
  const username = new sst.Secret(WEBHOOK_SECRETS.registryUsername, "");
  const password = new sst.Secret(WEBHOOK_SECRETS.registryPassword, "");

  const permissions = iamContextOf(input).apply((ctx) =>
    webhookStatements({ ...ctx, signingKeyArns: input.signingKeyArns }).map(toPermission),
  );

  const registryEnv = {
    [WEBHOOK_ENV.tableName]: table.name,
    [WEBHOOK_ENV.topicArn]: topic.arn,
    [WEBHOOK_ENV.policyFile]: BUNDLED_POLICY_FILE,
    [WEBHOOK_ENV.registryUrl]: settings.registryUrl,
    [WEBHOOK_ENV.scanSource]: settings.scanSource,
    ...(settings.quarantineRepository
      ? { [WEBHOOK_ENV.quarantineRepository]: settings.quarantineRepository }
      : {}),
    [WEBHOOK_ENV.registryUsername]: username.value,
    [WEBHOOK_ENV.registryPassword]: password.value,
  };

  const fn = new sst.aws.Function(spec.componentName, {
    handler: spec.handler,
    description: spec.description,
    runtime: spec.runtime,
    architecture: spec.architecture,
    memory: `${spec.memoryMb} MB`,
    timeout: `${spec.timeoutSeconds} seconds`,
    url: { authorization: spec.urlAuthorization, cors: false },
    concurrency: { reserved: settings.reservedConcurrency },
    // Invoked synchronously through its URL: the registry holds a failed delivery and retries.
    retries: 0,
    environment: {
      ...registryEnv,
      [WEBHOOK_ENV.webhookSecret]: webhookSecret.value,
      // The event carries the secret in its headers: it must never be logged.
      POWERTOOLS_LOGGER_LOG_EVENT: "false",
    },
    copyFiles: [{ from: input.policySource, to: BUNDLED_POLICY_FILE }],
    permissions,
    logging: { retention: "3 months", format: "json" },
  });

  for (const webhookAlarm of WEBHOOK_ALARMS) alarm(webhookAlarm, topic.arn);
  const errors = functionErrorsAlarm(`${spec.componentName}Errors`, fn.name);
  alarm(
    {
      ...errors,
      description: `Function ${errors.label} crashed or failed to start; the registry got an error answer and retries. Its logs say why`,
    },
    topic.arn,
  );

  const sweepSpec = OCI_SWEEP_FUNCTION_SPEC;
  const sweep = new sst.aws.Function(sweepSpec.componentName, {
    handler: sweepSpec.handler,
    description: sweepSpec.description,
    runtime: sweepSpec.runtime,
    architecture: sweepSpec.architecture,
    memory: `${sweepSpec.memoryMb} MB`,
    timeout: `${sweepSpec.timeoutSeconds} seconds`,
    retries: sweepSpec.asyncRetries,
    environment: registryEnv,
    copyFiles: [{ from: input.policySource, to: BUNDLED_POLICY_FILE }],
    permissions,
    logging: { retention: "3 months", format: "json" },
  });
  const schedule = new sst.aws.Cron("OciScanTimeoutSchedule", {
    schedule: SCAN_TIMEOUT_SCHEDULE,
    function: sweep,
    transform: {
      target: {
        retryPolicy: { ...EVENT_TARGET_RETRY },
        deadLetterConfig: { arn: input.deadLetterQueue.arn },
      },
    },
  });
  alarm(functionErrorsAlarm(`${sweepSpec.componentName}Errors`, sweep.name), topic.arn);

  return {
    function: fn,
    url: fn.url,
    registryHost: settings.registryHost,
    sweep,
    scheduleRuleArn: schedule.nodes.rule.arn,
  };
}
