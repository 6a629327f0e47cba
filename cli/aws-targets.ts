import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SNSClient } from "@aws-sdk/client-sns";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { DynamoDbAuditLog } from "../shared/adapters/dynamodb/dynamodb-audit-log.ts";
import { awsClientConfig } from "../shared/adapters/retry-config.ts";
import { SnsAlerts } from "../shared/adapters/sns/sns-alerts.ts";
import type { Clock } from "../shared/ports.ts";
import { CliUsageError } from "./cli-error.ts";

export interface AuditTableOptions {
  table?: string;
  endpointDynamodb?: string;
}

/** The audit table named by --table or REGISTRY_GUARD_TABLE, optionally at a local endpoint. */
export function auditTable(
  opts: AuditTableOptions,
  env: NodeJS.ProcessEnv,
  clock: Clock = () => new Date(),
) {
  const tableName = opts.table ?? env.REGISTRY_GUARD_TABLE;
  if (!tableName) {
    throw new CliUsageError(
      "CLI_TABLE",
      "no audit table: pass --table NAME or set REGISTRY_GUARD_TABLE (see `npx sst deploy` outputs)",
    );
  }
  const endpoint = opts.endpointDynamodb ?? env.REGISTRY_GUARD_DYNAMODB_ENDPOINT;
  const client = new DynamoDBClient({ ...awsClientConfig(), ...(endpoint ? { endpoint } : {}) });
  return new DynamoDbAuditLog({
    client: DynamoDBDocumentClient.from(client, {
      marshallOptions: { removeUndefinedValues: true },
    }),
    tableName,
    clock,
    retentionDays: Number(env.REGISTRY_GUARD_RETENTION_DAYS ?? 400),
  });
}

/** Audit table and alerts topic for commands that write (replay without --dry-run, release). */
export function awsTargets(
  opts: AuditTableOptions & { topicArn?: string },
  env: NodeJS.ProcessEnv,
) {
  const topicArn = opts.topicArn ?? env.REGISTRY_GUARD_TOPIC_ARN;
  if (!topicArn) {
    throw new CliUsageError(
      "CLI_TOPIC",
      "no alerts topic: pass --topic-arn ARN or set REGISTRY_GUARD_TOPIC_ARN",
    );
  }
  return {
    audit: auditTable(opts, env),
    alerts: new SnsAlerts(new SNSClient(awsClientConfig()), topicArn),
  };
}
