/**
 * Resource policies (on the alerts key and the event-delivery dead-letter queue) as plain data.
 * Function roles are in iam-statements.ts.
 */

export interface PolicyDocument {
  Version: "2012-10-17";
  Statement: PolicyStatement[];
}

export interface PolicyStatement {
  Sid: string;
  Effect: "Allow";
  Principal: { AWS: string } | { Service: string };
  Action: string | string[];
  Resource: string;
  Condition?: Record<string, Record<string, string | string[]>>;
}

/**
 * Key policy of the customer managed key that encrypts the alerts topic. The account statement
 * is KMS's default (it lets IAM policies, such as the function roles', grant use of the key);
 * CloudWatch needs its own grant to publish alarm notifications to an encrypted topic (Amazon
 * SNS guide, "Enable compatibility between event sources from AWS services and encrypted
 * topics"), limited to alarms of this account.
 */
export function alertsKeyPolicy(partition: string, account: string): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "AccountAdministersKeyThroughIam",
        Effect: "Allow",
        Principal: { AWS: `arn:${partition}:iam::${account}:root` },
        Action: "kms:*",
        Resource: "*",
      },
      {
        Sid: "CloudWatchAlarmsPublishToEncryptedTopic",
        Effect: "Allow",
        Principal: { Service: "cloudwatch.amazonaws.com" },
        Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
        Resource: "*",
        Condition: { StringEquals: { "aws:SourceAccount": account } },
      },
    ],
  };
}

/**
 * Queue policy of the dead-letter queue EventBridge targets use: EventBridge may send to it only
 * on behalf of our own rules ("Using dead-letter queues to process undelivered events").
 */
export function eventDeliveryQueuePolicy(
  queueArn: string,
  ruleArns: readonly string[],
): PolicyDocument {
  if (ruleArns.length === 0)
    throw new Error("eventDeliveryQueuePolicy needs at least one rule ARN");
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "EventBridgeRulesDeadLetter",
        Effect: "Allow",
        Principal: { Service: "events.amazonaws.com" },
        Action: "sqs:SendMessage",
        Resource: queueArn,
        Condition: { ArnEquals: { "aws:SourceArn": [...ruleArns] } },
      },
    ],
  };
}
