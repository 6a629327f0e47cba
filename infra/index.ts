import { existsSync } from "node:fs";
import { join } from "node:path";
import { alarms } from "./alarms.ts";
import { alertsTopic } from "./alerts-topic.ts";
import { auditTable } from "./audit-table.ts";
import { parseRepositoryPrefixes } from "./data/event-patterns.ts";
import { resolvePolicySource } from "./data/policy-source.ts";
import { eventDeliveryQueuePolicy } from "./data/resource-policies.ts";
import { isProtectedStage } from "./data/stage.ts";
import { parseWebhookSettings } from "./data/webhook-settings.ts";
import { deadLetterQueues } from "./dead-letter-queues.ts";
import { eventRules } from "./event-rules.ts";
import { functions } from "./functions.ts";
import { deploymentLocation } from "./location.ts";
import { scanTimeoutSchedule } from "./scan-timeout-schedule.ts";
import { webhookReceiver } from "./webhook-receiver.ts";

/**
 * Wires the stage. Deploy-time settings come from the environment (or .env):
 * POLICY_FILE (policy to bundle) and REGISTRY_GUARD_REPOSITORY_PREFIXES (comma-separated
 * repository name prefixes to watch; default all). See docs/deploy.md. The webhook receiver
 * for an OCI registry exists only when REGISTRY_GUARD_OCI_REGISTRY_URL is set (docs/receiver.md).
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
    repositoryPrefixes,
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
        deadLetterQueue: deadLetters.eventDelivery,
      })
    : undefined;
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

  return {
    tableName: table.name,
    topicArn: topic.arn,
    policyFile: policySource,
    functions: {
      "on-image-push": fns["on-image-push"].name,
      "on-scan-complete": fns["on-scan-complete"].name,
      "scan-timeout-check": fns["scan-timeout-check"].name,
    },
    deadLetterQueues: {
      "on-image-push": deadLetters.functions["on-image-push"].url,
      "on-scan-complete": deadLetters.functions["on-scan-complete"].url,
      "scan-timeout-check": deadLetters.functions["scan-timeout-check"].url,
      eventDelivery: deadLetters.eventDelivery.url,
    },
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
