import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SNSClient } from "@aws-sdk/client-sns";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { DynamoDbAuditLog } from "../shared/adapters/dynamodb/dynamodb-audit-log.ts";
import { awsClientConfig } from "../shared/adapters/retry-config.ts";
import { SnsAlerts } from "../shared/adapters/sns/sns-alerts.ts";
import type { Clock } from "../shared/ports.ts";
import type { AuditTableSettings, TopicSettings } from "./aws-settings.ts";

/**
 * The audit store for checked settings (aws-settings.ts). Creating clients sends nothing.
 * `retentionDays` must be the deployed policy's (resolvePolicy(policy, "*")), as the Lambdas
 * use: records of one chain must expire in the order they were written.
 */
export function auditLog(
  settings: AuditTableSettings,
  retentionDays: number,
  clock: Clock = () => new Date(),
): DynamoDbAuditLog {
  const client = new DynamoDBClient({
    ...awsClientConfig(settings.region ? { region: settings.region } : {}),
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
  });
  return new DynamoDbAuditLog({
    client: DynamoDBDocumentClient.from(client, {
      marshallOptions: { removeUndefinedValues: true },
    }),
    tableName: settings.tableName,
    clock,
    retentionDays,
  });
}

export function snsAlerts(settings: TopicSettings): SnsAlerts {
  return new SnsAlerts(
    new SNSClient(awsClientConfig({ region: settings.region })),
    settings.topicArn,
  );
}

/** For commands that only read the trail: the store wants a retention, and none is written. */
export const READ_ONLY_RETENTION_DAYS = 400;
