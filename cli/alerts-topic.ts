import { type TopicSettings, topicSettings } from "./aws-settings.ts";
import type { RegistrySettings } from "./registry-settings.ts";

/**
 * The SNS topic alerts go to. An ECR deployment always has one, so it is required there. An OCI
 * registry may run with no AWS at all: without a topic named (flag or env) the alert is printed
 * to stderr instead, and still recorded as sent.
 */
export function alertsTopic(
  registry: RegistrySettings,
  opts: { topicArn?: string },
  env: NodeJS.ProcessEnv,
): TopicSettings | undefined {
  const named = opts.topicArn !== undefined || env.REGISTRY_GUARD_TOPIC_ARN !== undefined;
  return registry.kind === "ecr" || named ? topicSettings(opts, env) : undefined;
}
