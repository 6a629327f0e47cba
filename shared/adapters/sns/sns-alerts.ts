import { type MessageAttributeValue, PublishCommand, type SNSClient } from "@aws-sdk/client-sns";
import {
  publishSizeBytes,
  SNS_MAX_PUBLISH_BYTES,
  snsMessageStructure,
} from "../../domain/alert-envelope.ts";
import type { Alert, Alerts } from "../../ports.ts";

export const SNS_ALERT_ERROR_CODES = ["SNS_PUBLISH_FAILED", "SNS_ALERT_TOO_LARGE"] as const;
export type SnsAlertErrorCode = (typeof SNS_ALERT_ERROR_CODES)[number];

export class SnsAlertError extends Error {
  readonly code: SnsAlertErrorCode;
  readonly topicArn: string;
  /** The AWS error name (AuthorizationErrorException, NotFoundException …) when SNS sent one. */
  readonly awsError?: string;

  constructor(
    code: SnsAlertErrorCode,
    topicArn: string,
    message: string,
    opts: { cause?: unknown; awsError?: string } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = "SnsAlertError";
    this.code = code;
    this.topicArn = topicArn;
    if (opts.awsError) this.awsError = opts.awsError;
  }
}

const HINTS: Record<string, string> = {
  AuthorizationErrorException: "grant sns:Publish on the topic to the function's role",
  NotFoundException: "the topic does not exist in this account and region; check TOPIC_ARN",
  KMSAccessDeniedException:
    "allow the function's role to use the topic's KMS key (kms:GenerateDataKey, kms:Decrypt)",
  KMSDisabledException: "the topic's KMS key is disabled",
  KMSNotFoundException: "the topic's KMS key no longer exists",
  InvalidParameterException: "SNS rejected the message itself",
};

/** SNS rejects empty attribute values, and a filter policy cannot match an absent one. */
function attributeValue(value: string): MessageAttributeValue {
  return { DataType: "String", StringValue: value === "" ? "unknown" : value };
}

/**
 * Alerts published to one SNS topic with `MessageStructure: "json"`: email and the default get
 * the readable text, SQS/Lambda/HTTP(S)/Firehose subscribers the JSON document, and every
 * attribute is a String message attribute for subscription filter policies.
 */
export class SnsAlerts implements Alerts {
  private readonly client: SNSClient;
  private readonly topicArn: string;

  constructor(client: SNSClient, topicArn: string) {
    this.client = client;
    this.topicArn = topicArn;
  }

  async publish(alert: Alert): Promise<{ messageId?: string }> {
    const size = publishSizeBytes(alert);
    if (size > SNS_MAX_PUBLISH_BYTES) {
      throw new SnsAlertError(
        "SNS_ALERT_TOO_LARGE",
        this.topicArn,
        `alert "${alert.subject}" is ${size} bytes, over SNS's ${SNS_MAX_PUBLISH_BYTES}; build alerts with buildGateAlert/buildReleaseAlert, which keep them under the limit`,
      );
    }
    const MessageAttributes: Record<string, MessageAttributeValue> = {};
    for (const [name, value] of Object.entries(alert.attributes))
      MessageAttributes[name] = attributeValue(value);
    try {
      const out = await this.client.send(
        new PublishCommand({
          TopicArn: this.topicArn,
          MessageStructure: "json",
          Message: snsMessageStructure(alert),
          Subject: alert.subject,
          MessageAttributes,
        }),
      );
      return out.MessageId ? { messageId: out.MessageId } : {};
    } catch (err) {
      const name = err instanceof Error ? err.name : undefined;
      const hint = name ? HINTS[name] : undefined;
      const message = err instanceof Error ? err.message : String(err);
      throw new SnsAlertError(
        "SNS_PUBLISH_FAILED",
        this.topicArn,
        `SNS Publish to ${this.topicArn} failed for alert "${alert.subject}": ${name && name !== "Error" ? `${name}: ` : ""}${message}${hint ? ` (${hint})` : ""}`,
        { cause: err, ...(name ? { awsError: name } : {}) },
      );
    }
  }
}
