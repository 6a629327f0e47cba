import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { deadLetterDepthAlarm, functionErrorsAlarm } from "../../infra/data/alarm-specs.ts";
import {
  DEAD_LETTER_RETENTION_SECONDS,
  EVENT_TARGET_RETRY,
} from "../../infra/data/delivery-policy.ts";
import { PolicySourceError, resolvePolicySource } from "../../infra/data/policy-source.ts";
import { alertsKeyPolicy, eventDeliveryQueuePolicy } from "../../infra/data/resource-policies.ts";
import { isProtectedStage } from "../../infra/data/stage.ts";

describe("policy file bundled at deploy time", () => {
  const files =
    (...present: string[]) =>
    (p: string) =>
      present.includes(p);

  it("prefers POLICY_FILE, then the repository root, then the example", () => {
    const all = files("custom/policy.yaml", "registry-guard.yaml", "examples/registry-guard.yaml");
    expect(resolvePolicySource({ POLICY_FILE: "custom/policy.yaml" }, all)).toBe(
      "custom/policy.yaml",
    );
    expect(resolvePolicySource({}, all)).toBe("registry-guard.yaml");
    expect(resolvePolicySource({ POLICY_FILE: "  " }, all)).toBe("registry-guard.yaml");
    expect(resolvePolicySource({}, files("examples/registry-guard.yaml"))).toBe(
      "examples/registry-guard.yaml",
    );
  });

  it("never falls back when POLICY_FILE names a missing file", () => {
    const env = { POLICY_FILE: "typo.yaml" };
    expect(() => resolvePolicySource(env, files("registry-guard.yaml"))).toThrow(PolicySourceError);
    expect(() => resolvePolicySource(env, files("registry-guard.yaml"))).toThrow(/typo\.yaml/);
  });

  it("fails with a clear message when there is no policy at all", () => {
    expect(() => resolvePolicySource({}, files())).toThrow(/create registry-guard\.yaml/);
  });
});

describe("stage protection", () => {
  it("protects production and prod only", () => {
    expect(isProtectedStage("production")).toBe(true);
    expect(isProtectedStage("prod")).toBe(true);
    for (const s of ["dev", "staging", "Prod", "prod-eu", "alice", ""])
      expect(isProtectedStage(s), s).toBe(false);
  });
});

describe("alarms", () => {
  it("fire on the first message in a dead-letter queue", () => {
    expect(deadLetterDepthAlarm("OnImagePushDlq", "q-name")).toMatchObject({
      namespace: "AWS/SQS",
      metricName: "ApproximateNumberOfMessagesVisible",
      dimensions: { QueueName: "q-name" },
      statistic: "Maximum",
      threshold: 0,
      comparisonOperator: "GreaterThanThreshold",
      evaluationPeriods: 1,
      treatMissingData: "notBreaching",
    });
  });

  it("fire on the first function error", () => {
    expect(functionErrorsAlarm("OnScanComplete", "fn-name")).toMatchObject({
      namespace: "AWS/Lambda",
      metricName: "Errors",
      dimensions: { FunctionName: "fn-name" },
      statistic: "Sum",
      threshold: 0,
      comparisonOperator: "GreaterThanThreshold",
    });
  });
});

describe("resource policies", () => {
  it("lets CloudWatch use the alerts key only for this account's alarms", () => {
    const policy = alertsKeyPolicy("aws", "123456789012");
    const cw = policy.Statement.find(
      (s) => "Service" in s.Principal && s.Principal.Service === "cloudwatch.amazonaws.com",
    );
    expect(cw?.Action).toEqual(["kms:Decrypt", "kms:GenerateDataKey*"]);
    expect(cw?.Condition).toEqual({ StringEquals: { "aws:SourceAccount": "123456789012" } });
    const admin = policy.Statement.find((s) => "AWS" in s.Principal);
    expect(admin?.Principal).toEqual({ AWS: "arn:aws:iam::123456789012:root" });
    expect(policy.Statement).toHaveLength(2);
  });

  it("lets EventBridge dead-letter only on behalf of our rules", () => {
    const rules = [
      "arn:aws:events:eu-west-1:123456789012:rule/a",
      "arn:aws:events:eu-west-1:123456789012:rule/b",
    ];
    const queue = "arn:aws:sqs:eu-west-1:123456789012:EventDeliveryDlq";
    expect(eventDeliveryQueuePolicy(queue, rules).Statement).toEqual([
      {
        Sid: "EventBridgeRulesDeadLetter",
        Effect: "Allow",
        Principal: { Service: "events.amazonaws.com" },
        Action: "sqs:SendMessage",
        Resource: queue,
        Condition: { ArnEquals: { "aws:SourceArn": rules } },
      },
    ]);
    expect(() => eventDeliveryQueuePolicy(queue, [])).toThrow();
  });

  it("policies are plain JSON that survives a round trip", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^\d{12}$/), (account) => {
        const p = alertsKeyPolicy("aws", account);
        expect(JSON.parse(JSON.stringify(p))).toEqual(p);
      }),
    );
  });
});

describe("delivery policy", () => {
  it("stays within EventBridge and SQS limits", () => {
    // EventBridge: 0–185 retries, 60 s – 24 h event age; SQS retention at most 14 days.
    expect(EVENT_TARGET_RETRY.maximumRetryAttempts).toBeGreaterThanOrEqual(0);
    expect(EVENT_TARGET_RETRY.maximumRetryAttempts).toBeLessThanOrEqual(185);
    expect(EVENT_TARGET_RETRY.maximumEventAgeInSeconds).toBeGreaterThanOrEqual(60);
    expect(EVENT_TARGET_RETRY.maximumEventAgeInSeconds).toBeLessThanOrEqual(86_400);
    expect(DEAD_LETTER_RETENTION_SECONDS).toBe(1_209_600);
  });
});
