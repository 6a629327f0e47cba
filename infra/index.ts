import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { loadPolicy } from "../shared/domain/policy-load.ts";
import { retentionPolicyOf } from "../shared/domain/retention-policy-of.ts";
import { policyKmsKeyArns } from "../shared/domain/signature-policy.ts";
import { alarms } from "./alarms.ts";
import { alertsTopic } from "./alerts-topic.ts";
import { auditTable } from "./audit-table.ts";
import { parseRepositoryPrefixes } from "./data/event-patterns.ts";
import { FUNCTION_SPECS } from "./data/function-specs.ts";
import { resolvePolicySource } from "./data/policy-source.ts";
import { PULL_TIME_EXCLUDED_FUNCTIONS } from "./data/pull-time-exclusions.ts";
import { eventDeliveryQueuePolicy } from "./data/resource-policies.ts";
import {
  parseEcsClusters,
  RETENTION_ENV,
  RETENTION_SETTING_NAMES,
} from "./data/retention-function.ts";
import { retentionScheduleSpec } from "./data/retention-schedule.ts";
import { isProtectedStage } from "./data/stage.ts";
import { parseWebhookSettings } from "./data/webhook-settings.ts";
import { deadLetterQueues } from "./dead-letter-queues.ts";
import { eventRules } from "./event-rules.ts";
import { functions } from "./functions.ts";
import { deploymentLocation } from "./location.ts";
import { retentionSchedule } from "./retention-schedule.ts";
import { scanTimeoutSchedule } from "./scan-timeout-schedule.ts";
import { webhookReceiver } from "./webhook-receiver.ts";

/**
 * Wires the stage. Deploy-time settings come from the environment (or .env):
 * POLICY_FILE (policy to bundle) and REGISTRY_GUARD_REPOSITORY_PREFIXES (comma-separated
 * repository name prefixes to watch; default all). See docs/deploy.md. The webhook receiver
 * for an OCI registry exists only when REGISTRY_GUARD_OCI_REGISTRY_URL is set (docs/receiver.md).
 * The retention schedule exists only when the bundled policy has `retention.schedule`;
 * REGISTRY_GUARD_RETENTION_ECS_CLUSTERS names the ECS clusters whose running tasks protect
 * digests (default all of the region; docs/retention-runs.md).
 */
export async function deploy() {
  const protect = isProtectedStage($app.stage);
  const repositoryPrefixes = parseRepositoryPrefixes(
    process.env.REGISTRY_GUARD_REPOSITORY_PREFIXES,
  );
  const policySource = resolvePolicySource(process.env, (p) =>
    existsSync(join($cli.paths.root, p)),
  );
  const webhookSettings = parseWebhookSettings(process.env);
  const ecsClusters = parseEcsClusters(process.env[RETENTION_SETTING_NAMES.ecsClusters]);
  // The bundled policy decides the schedule: read and validated now, so a bad one fails the deploy.
  const policy = loadPolicy(
    readFileSync(join($cli.paths.root, policySource), "utf8"),
    policySource,
  );
  const scheduleSpec = retentionScheduleSpec(retentionPolicyOf(policy));
  // kms:GetPublicKey on exactly the keys the bundled policy trusts by kmsArn.
  const signingKeyArns = policyKmsKeyArns(policy);

  const location = deploymentLocation();
  const table = auditTable(protect);
  const { topic, key } = alertsTopic(location);
  const deadLetters = deadLetterQueues();
  const fns = functions({
    location,
    table,
    topic,
    topicKey: key,
    deadLetters,
    policySource,
    signingKeyArns,
    repositoryPrefixes,
    environment: {
      "retention-run": ecsClusters.length
        ? { [RETENTION_ENV.ecsClusters]: ecsClusters.join(",") }
        : {},
    },
  });

  const rules = eventRules({
    location,
    functions: fns,
    deadLetterQueue: deadLetters.eventDelivery,
    repositoryPrefixes,
  });
  const schedule = scanTimeoutSchedule(fns["scan-timeout-check"], deadLetters.eventDelivery);
  const receiver = webhookSettings
    ? webhookReceiver({
        settings: webhookSettings,
        location,
        table,
        topic,
        topicKey: key,
        policySource,
        signingKeyArns,
        deadLetterQueue: deadLetters.eventDelivery,
      })
    : undefined;
  const retention = scheduleSpec
    ? retentionSchedule({
        spec: scheduleSpec,
        location,
        fn: fns["retention-run"],
        deadLetterQueue: deadLetters.eventDelivery,
      })
    : undefined;
  // EventBridge rules send undeliverable events as events.amazonaws.com (allowed below, per
  // rule); the retention schedule sends its own with its role's sqs:SendMessage, which needs no
  // statement here.
  const ruleArns = [
    ...Object.values(rules).map((r) => r.arn),
    schedule.nodes.rule.arn,
    ...(receiver ? [receiver.scheduleRuleArn] : []),
  ];
  new aws.sqs.QueuePolicy("EventDeliveryDlqPolicy", {
    queueUrl: deadLetters.eventDelivery.url,
    policy: $util
      .all([deadLetters.eventDelivery.arn, ...ruleArns])
      .apply(([queueArn, ...arns]) => JSON.stringify(eventDeliveryQueuePolicy(queueArn, arns))),
  });

  alarms({ topicArn: topic.arn, deadLetters, functions: fns });
  for (const fn of PULL_TIME_EXCLUDED_FUNCTIONS) {
    new aws.ecr.PullTimeUpdateExclusion(`${FUNCTION_SPECS[fn].componentName}PullTimeExclusion`, {
      principalArn: fns[fn].nodes.role.arn,
    });
  }

  return {
    tableName: table.name,
    topicArn: topic.arn,
    policyFile: policySource,
    functions: {
      "on-image-push": fns["on-image-push"].name,
      "on-scan-complete": fns["on-scan-complete"].name,
      "scan-timeout-check": fns["scan-timeout-check"].name,
      "retention-run": fns["retention-run"].name,
    },
    deadLetterQueues: {
      "on-image-push": deadLetters.functions["on-image-push"].url,
      "on-scan-complete": deadLetters.functions["on-scan-complete"].url,
      "scan-timeout-check": deadLetters.functions["scan-timeout-check"].url,
      "retention-run": deadLetters.functions["retention-run"].url,
      eventDelivery: deadLetters.eventDelivery.url,
    },
    retentionSchedule: retention
      ? {
          name: retention.schedule.name,
          expression: scheduleSpec?.scheduleExpression,
          input: JSON.stringify(scheduleSpec?.input),
        }
      : "none (the policy has no retention.schedule; run on demand)",
    ...(receiver
      ? {
          webhookReceiver: {
            registry: receiver.registryHost,
            function: receiver.function.name,
            scanTimeoutFunction: receiver.sweep.name,
            distributionUrl: $interpolate`${receiver.url}webhooks/distribution`,
            harborUrl: $interpolate`${receiver.url}webhooks/harbor`,
          },
        }
      : {}),
  };
}
