import { CliUsageError } from "./cli-error.ts";
import { checkRegion } from "./image-reference.ts";

/**
 * Where the CLI's AWS targets are, from flags or the environment, checked before any AWS call so
 * that a typo is a clear exit 2 rather than an error halfway through. No SDK here: loading the
 * SDK is left to the commands that talk to AWS.
 */

export interface AuditTableOptions {
  table?: string;
  endpointDynamodb?: string;
  region?: string;
}

export interface AuditTableSettings {
  tableName: string;
  endpoint?: string;
  region?: string;
}

/** DynamoDB's table name rule. */
const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;
const SNS_TOPIC_ARN = /^arn:aws[a-z-]*:sns:([a-z0-9-]+):\d{12}:[A-Za-z0-9_-]{1,256}(?:\.fifo)?$/;

export function auditTableSettings(
  opts: AuditTableOptions,
  env: NodeJS.ProcessEnv,
): AuditTableSettings {
  const tableName = opts.table ?? env.REGISTRY_GUARD_TABLE;
  if (!tableName) {
    throw new CliUsageError(
      "CLI_TABLE",
      "no audit table: pass --table NAME or set REGISTRY_GUARD_TABLE (the deployment's tableName output)",
    );
  }
  if (!TABLE_NAME.test(tableName)) {
    throw new CliUsageError(
      "CLI_TABLE",
      `--table ${tableName}: a DynamoDB table name has 3-255 letters, digits, _ . or -`,
    );
  }
  const endpoint = opts.endpointDynamodb ?? env.REGISTRY_GUARD_DYNAMODB_ENDPOINT;
  if (endpoint !== undefined && !/^https?:\/\/[^/\s]+/.test(endpoint)) {
    throw new CliUsageError(
      "CLI_ENDPOINT",
      `--endpoint-dynamodb ${endpoint}: expected an http(s) URL such as http://localhost:8000`,
    );
  }
  const region = opts.region === undefined ? undefined : checkRegion(opts.region);
  return {
    tableName,
    ...(endpoint ? { endpoint } : {}),
    // A local endpoint ignores the region, but the SDK refuses to sign without one.
    ...(region
      ? { region }
      : endpoint && !env.AWS_REGION && !env.AWS_DEFAULT_REGION
        ? { region: "us-east-1" }
        : {}),
  };
}

export interface TopicSettings {
  topicArn: string;
  /** The topic's own region, from its ARN: SNS must be called there. */
  region: string;
}

export function topicSettings(opts: { topicArn?: string }, env: NodeJS.ProcessEnv): TopicSettings {
  const topicArn = opts.topicArn ?? env.REGISTRY_GUARD_TOPIC_ARN;
  if (!topicArn) {
    throw new CliUsageError(
      "CLI_TOPIC",
      "no alerts topic: pass --topic-arn ARN or set REGISTRY_GUARD_TOPIC_ARN (the deployment's topicArn output)",
    );
  }
  const m = SNS_TOPIC_ARN.exec(topicArn);
  if (!m) {
    throw new CliUsageError(
      "CLI_TOPIC",
      `--topic-arn ${topicArn}: expected an SNS topic ARN such as arn:aws:sns:us-east-1:123456789012:registry-guard-alerts`,
    );
  }
  return { topicArn, region: m[1] as string };
}
