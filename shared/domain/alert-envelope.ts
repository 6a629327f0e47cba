import type { Alert } from "../ports.ts";

/** SNS's limit for one Publish: message, subject and message attributes together. */
export const SNS_MAX_PUBLISH_BYTES = 262_144;

/**
 * What an alert may take of that limit. The margin covers SNS's own accounting of attribute
 * overhead, which it does not document byte for byte.
 */
export const ALERT_BUDGET_BYTES = 240 * 1024;

/**
 * Subscription protocols that receive the machine-readable JSON. Every protocol not named here
 * (and not "email" or "sms") receives `default`, the readable text. Each JSON protocol carries a
 * full copy, so this list is also the JSON's share of the size budget.
 */
export const JSON_PROTOCOLS = ["sqs", "lambda", "http", "https", "firehose"] as const;

/**
 * The SNS `Message` for `MessageStructure: "json"`: one string per protocol. Email gets the text,
 * SMS the subject (an SMS is 140 bytes a segment), machines the JSON, as a string of JSON.
 */
export function snsMessageStructure(alert: Pick<Alert, "subject" | "text" | "json">): string {
  const json = JSON.stringify(alert.json);
  const byProtocol: Record<string, string> = {
    default: alert.text,
    email: alert.text,
    sms: alert.subject,
  };
  for (const p of JSON_PROTOCOLS) byProtocol[p] = json;
  return JSON.stringify(byProtocol);
}

const encoder = new TextEncoder();

export function utf8Bytes(s: string): number {
  return encoder.encode(s).length;
}

/**
 * Bytes SNS counts for publishing this alert: the message structure, the subject and each
 * message attribute's name, data type ("String") and value.
 */
export function publishSizeBytes(alert: Alert): number {
  let size = utf8Bytes(snsMessageStructure(alert)) + utf8Bytes(alert.subject);
  for (const [name, value] of Object.entries(alert.attributes)) {
    size += utf8Bytes(name) + utf8Bytes("String") + utf8Bytes(value);
  }
  return size;
}
