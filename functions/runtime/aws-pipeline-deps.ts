import { readFileSync } from "node:fs";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { ECRClient } from "@aws-sdk/client-ecr";
import { SNSClient } from "@aws-sdk/client-sns";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { DynamoDbAuditLog } from "../../shared/adapters/dynamodb/dynamodb-audit-log.ts";
import { EcrRegistry } from "../../shared/adapters/ecr/ecr-registry.ts";
import { awsClientConfig } from "../../shared/adapters/retry-config.ts";
import { SnsAlerts } from "../../shared/adapters/sns/sns-alerts.ts";
import { loadPolicy } from "../../shared/domain/policy-load.ts";
import { resolvePolicy } from "../../shared/domain/policy-resolve.ts";
import type { PipelineDeps } from "../../shared/pipeline/pipeline-deps.ts";
import type { Log } from "../../shared/ports.ts";

function required(env: NodeJS.ProcessEnv, name: string): string {
  const v = env[name];
  if (!v)
    throw new Error(`environment variable ${name} is not set; the deployment must provide it`);
  return v;
}

/**
 * Builds the pipeline's adapters from the Lambda environment. Called once per container at
 * module load: clients and the parsed policy are reused across invocations.
 */
export function awsPipelineDeps(env: NodeJS.ProcessEnv, log: Log): PipelineDeps {
  const policyFile = env.POLICY_FILE ?? "registry-guard.yaml";
  const policy = loadPolicy(readFileSync(policyFile, "utf8"), policyFile);
  const config = awsClientConfig();
  const clock = () => new Date();
  return {
    registry: new EcrRegistry(new ECRClient(config)),
    audit: new DynamoDbAuditLog({
      client: DynamoDBDocumentClient.from(new DynamoDBClient(config), {
        marshallOptions: { removeUndefinedValues: true },
      }),
      tableName: required(env, "TABLE_NAME"),
      clock,
      // Retention is global to the table; per-repository values would make TTL order unpredictable.
      retentionDays: resolvePolicy(policy, "*").audit.retentionDays,
    }),
    alerts: new SnsAlerts(new SNSClient(config), required(env, "TOPIC_ARN")),
    policy,
    clock,
    log,
  };
}
