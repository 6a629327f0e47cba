import {
  PublishCommand,
  type PublishCommandInput,
  SNSClient,
  SNSServiceException,
} from "@aws-sdk/client-sns";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { SnsAlertError, SnsAlerts } from "../../shared/adapters/sns/sns-alerts.ts";
import { SNS_MAX_PUBLISH_BYTES } from "../../shared/domain/alert-envelope.ts";
import { buildGateAlert } from "../../shared/domain/alert-message.ts";
import type { Finding } from "../../shared/domain/finding.ts";
import { SEVERITIES, type Severity } from "../../shared/domain/severity.ts";
import type { Alert } from "../../shared/ports.ts";

const TOPIC = "arn:aws:sns:eu-west-1:123456789012:registry-guard-alerts";
const sns = mockClient(SNSClient);
beforeEach(() => sns.reset());

const alert: Alert = {
  subject: "[registry-guard] FAIL quarantined team-a/api@sha256:abcd1234 (1 CRITICAL)",
  text: "registry-guard: team-a/api FAILED the severity gate and was quarantined.\n\nWhy it failed\n  - blockAt HIGH",
  json: {
    schemaVersion: 1,
    eventType: "image.quarantined",
    verdict: "fail",
    note: 'quotes " and \\ survive',
  },
  attributes: {
    eventType: "image.quarantined",
    severity: "CRITICAL",
    repository: "team-a/api",
    verdict: "fail",
  },
};

function sent(): PublishCommandInput {
  const input = sns.commandCalls(PublishCommand)[0]?.args[0].input;
  if (!input) throw new Error("nothing published");
  return input;
}

describe("SnsAlerts", () => {
  it("publishes one JSON message structure: text for people, JSON for machines", async () => {
    sns.on(PublishCommand).resolves({ MessageId: "5f2c1b6e-0000-4000-8000-000000000001" });

    const result = await new SnsAlerts(new SNSClient({}), TOPIC).publish(alert);

    expect(result).toEqual({ messageId: "5f2c1b6e-0000-4000-8000-000000000001" });
    const input = sent();
    expect(input).toEqual({
      TopicArn: TOPIC,
      MessageStructure: "json",
      Subject: alert.subject,
      Message: expect.any(String),
      MessageAttributes: {
        eventType: { DataType: "String", StringValue: "image.quarantined" },
        severity: { DataType: "String", StringValue: "CRITICAL" },
        repository: { DataType: "String", StringValue: "team-a/api" },
        verdict: { DataType: "String", StringValue: "fail" },
      },
    });
    const message = JSON.parse(input.Message as string) as Record<string, string>;
    // SNS requires a "default" entry; every value is a string.
    expect(message.default).toBe(alert.text);
    expect(message.email).toBe(alert.text);
    expect(message.sms).toBe(alert.subject);
    for (const protocol of ["sqs", "lambda", "http", "https", "firehose"]) {
      expect(typeof message[protocol]).toBe("string");
      expect(JSON.parse(message[protocol] as string)).toEqual(alert.json);
    }
    expect(Object.values(message).every((v) => typeof v === "string")).toBe(true);
  });

  it("sends a placeholder rather than an empty attribute value, which SNS rejects", async () => {
    sns.on(PublishCommand).resolves({ MessageId: "m" });
    await new SnsAlerts(new SNSClient({}), TOPIC).publish({
      ...alert,
      attributes: { ...alert.attributes, repository: "" },
    });
    expect(sent().MessageAttributes?.repository).toEqual({
      DataType: "String",
      StringValue: "unknown",
    });
  });

  it("surfaces a failed publish naming the topic, the alert and what to fix", async () => {
    sns.on(PublishCommand).rejects(
      new SNSServiceException({
        name: "AuthorizationErrorException",
        $fault: "client",
        $metadata: { httpStatusCode: 403 },
        message: "User is not authorized to perform: SNS:Publish",
      }),
    );
    const err = await new SnsAlerts(new SNSClient({}), TOPIC)
      .publish(alert)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SnsAlertError);
    expect(err).toMatchObject({
      code: "SNS_PUBLISH_FAILED",
      topicArn: TOPIC,
      awsError: "AuthorizationErrorException",
    });
    const message = (err as Error).message;
    expect(message).toContain(TOPIC);
    expect(message).toContain(alert.subject);
    expect(message).toContain("grant sns:Publish");
  });

  it("refuses an alert over SNS's limit without calling SNS", async () => {
    const huge = { ...alert, json: { blob: "x".repeat(100_000) } };
    const err = await new SnsAlerts(new SNSClient({}), TOPIC)
      .publish(huge)
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "SNS_ALERT_TOO_LARGE" });
    expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
  });

  it("publishes a 50,000-finding gate alert within the limit, as SNS counts it", async () => {
    sns.on(PublishCommand).resolves({ MessageId: "m" });
    const findings: Finding[] = Array.from({ length: 50_000 }, (_, i) => ({
      id: `CVE-2024-${i}`,
      severity: SEVERITIES[i % 4] as Severity,
      package: `pkg-${i}`,
      installedVersion: "1.0",
      fixedVersion: "1.1",
    }));
    const counts = Object.fromEntries(SEVERITIES.map((s) => [s, 12_500])) as Record<
      Severity,
      number
    >;
    const big = buildGateAlert({
      image: {
        registry: "ecr",
        registryId: "123456789012",
        repository: "team-a/api",
        digest: `sha256:${"e".repeat(64)}`,
        tags: [],
      },
      verdict: {
        verdict: "fail",
        reasons: [{ rule: "blockAt", threshold: "LOW", findings }],
        counts,
        totalCounts: counts,
        allowlisted: [],
        expiredAllowlist: [],
        ignored: { unfixed: 0, belowMinScore: 0 },
        policyVersion: "p1",
        evaluatedAt: "2024-05-01T12:00:00.000Z",
      },
      action: "quarantined",
      eventId: "evt",
      policyVersion: "p1",
    });

    await new SnsAlerts(new SNSClient({}), TOPIC).publish(big);

    const input = sent();
    const bytes = (s: string | undefined) => Buffer.byteLength(s ?? "", "utf8");
    let size = bytes(input.Message) + bytes(input.Subject);
    for (const [name, value] of Object.entries(input.MessageAttributes ?? {})) {
      size += bytes(name) + bytes(value.DataType) + bytes(value.StringValue);
    }
    expect(size).toBeLessThanOrEqual(SNS_MAX_PUBLISH_BYTES);
    expect(
      JSON.parse(JSON.parse(input.Message as string).sqs).truncated.omittedFindings,
    ).toBeGreaterThan(0);
  });
});
