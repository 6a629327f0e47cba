import { readFileSync } from "node:fs";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SNSClient } from "@aws-sdk/client-sns";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { DynamoDbAuditLog } from "../../shared/adapters/dynamodb/dynamodb-audit-log.ts";
import { policyKmsPublicKeySource } from "../../shared/adapters/kms/sdk-kms-public-key-source.ts";
import { awsClientConfig } from "../../shared/adapters/retry-config.ts";
import { SnsAlerts } from "../../shared/adapters/sns/sns-alerts.ts";
import { loadPolicy } from "../../shared/domain/policy-load.ts";
import { resolvePolicy } from "../../shared/domain/policy-resolve.ts";
import type { PipelineDeps } from "../../shared/pipeline/pipeline-deps.ts";
import type { Log } from "../../shared/ports.ts";

export function requiredEnv(env: NodeJS.ProcessEnv, name: string): string {
  const v = env[name];
  if (!v)
    throw new Error(`environment variable ${name} is not set; the deployment must provide it`);
  return v;
}

/**
 * Everything but the registry, from the Lambda environment: the bundled policy (POLICY_FILE),
 * the audit table (TABLE_NAME) and the alerts topic (TOPIC_ARN). Built once per container.
 * A KMS source only when the policy trusts a key by kmsArn; its SDK package loads on first use.
 */
export function awsCoreDeps(env: NodeJS.ProcessEnv, log: Log): Omit<PipelineDeps, "registry"> {
  const policyFile = env.POLICY_FILE ?? "registry-guard.yaml";
  const policy = loadPolicy(readFileSync(policyFile, "utf8"), policyFile);
  const config = awsClientConfig();
  const clock = () => new Date();
  const kms = policyKmsPublicKeySource(policy);
  return {
    audit: new DynamoDbAuditLog({
      client: DynamoDBDocumentClient.from(new DynamoDBClient(config), {
        marshallOptions: { removeUndefinedValues: true },
      }),
      tableName: requiredEnv(env, "TABLE_NAME"),
      clock,
      // Retention is global to the table; per-repository values would make TTL order unpredictable.
      retentionDays: resolvePolicy(policy, "*").audit.retentionDays,
    }),
    alerts: new SnsAlerts(new SNSClient(config), requiredEnv(env, "TOPIC_ARN")),
    policy,
    clock,
    log,
    ...(kms ? { kms } : {}),
  };
}
