import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EVENT_TARGET_RETRY } from "../../infra/data/delivery-policy.ts";
import { FUNCTION_SDK_CALLS, requiredActions } from "../../infra/data/function-sdk-calls.ts";
import { FUNCTION_SPECS } from "../../infra/data/function-specs.ts";
import {
  FUNCTION_ACTIONS,
  functionStatements,
  IamConfigError,
  type IamContext,
  repositoryArns,
} from "../../infra/data/iam-statements.ts";
import {
  fixedFunctionName,
  functionArn,
  parseEcsClusters,
  RETENTION_ENV,
  RetentionSettingsError,
} from "../../infra/data/retention-function.ts";
import {
  checkScheduleExpression,
  policyJson,
  RetentionScheduleError,
  retentionScheduleSpec,
  schedulerRoleStatements,
  schedulerTrustPolicy,
} from "../../infra/data/retention-schedule.ts";
import { loadPolicy } from "../../shared/domain/policy-load.ts";
import { retentionPolicyOf } from "../../shared/domain/retention-policy-of.ts";
import { parseRetentionPayload } from "../../shared/retention/retention-payload.ts";

const ACCOUNT = "123456789012";
const OWN_ARN = functionArn("aws", "eu-west-1", ACCOUNT, "registry-guard-prod-RetentionRun");
const ctx: IamContext = {
  region: "eu-west-1",
  account: ACCOUNT,
  tableArn: `arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/registry-guard-prod-AuditTable`,
  topicArn: `arn:aws:sns:eu-west-1:${ACCOUNT}:registry-guard-prod-Alerts`,
  topicKeyArn: `arn:aws:kms:eu-west-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
  repositoryPrefixes: ["team-a/", "base"],
  functionArn: OWN_ARN,
};
const QUEUE = `arn:aws:sqs:eu-west-1:${ACCOUNT}:registry-guard-prod-EventDeliveryDlq`;

const statements = () => functionStatements("retention-run", ctx);
const grantOf = (action: string) => statements().filter((s) => s.actions.includes(action));

describe("retention-run's role", () => {
  it("grants exactly the calls its code makes (plus KMS for the encrypted topic)", () => {
    expect(FUNCTION_ACTIONS["retention-run"]).toEqual(
      requiredActions(FUNCTION_SDK_CALLS["retention-run"]),
    );
    const granted = statements().flatMap((s) => s.actions);
    expect(new Set(granted).size).toBe(granted.length);
    for (const never of [
      "ecr:UpdateImageStorageClass",
      "ecr:DescribeImageScanFindings",
      "ecr:PutImage",
      "inspector2:ListFindings",
      "ecs:StopTask",
    ]) {
      expect(granted).not.toContain(never);
    }
  });

  it("deletes only in the watched repositories, like the other ECR grants", () => {
    const [del] = grantOf("ecr:BatchDeleteImage");
    expect(del?.actions).toEqual(["ecr:BatchDeleteImage"]);
    expect(del?.resources).toEqual(repositoryArns(ctx));
    expect(del?.resources).toEqual([
      `arn:aws:ecr:eu-west-1:${ACCOUNT}:repository/team-a/*`,
      `arn:aws:ecr:eu-west-1:${ACCOUNT}:repository/base*`,
    ]);
    expect(grantOf("ecr:DescribeImages")[0]?.resources).toEqual(repositoryArns(ctx));
  });

  it("lists repository names across the region's registry, and nothing more there", () => {
    const [list] = grantOf("ecr:DescribeRepositories");
    expect(list?.actions).toEqual(["ecr:DescribeRepositories"]);
    expect(list?.resources).toEqual([`arn:aws:ecr:eu-west-1:${ACCOUNT}:repository/*`]);
  });

  it("invokes only itself", () => {
    const [invoke] = grantOf("lambda:InvokeFunction");
    expect(invoke).toEqual({
      sid: "InvokeItself",
      effect: "allow",
      actions: ["lambda:InvokeFunction"],
      resources: [OWN_ARN],
    });
  });

  it("reads ECS tasks of this account and region only", () => {
    expect(grantOf("ecs:ListClusters")[0]?.resources).toEqual(["*"]);
    expect(grantOf("ecs:ListTasks")[0]).toMatchObject({
      actions: ["ecs:ListTasks"],
      resources: ["*"],
      conditions: [
        {
          test: "ArnLike",
          variable: "ecs:cluster",
          values: [`arn:aws:ecs:eu-west-1:${ACCOUNT}:cluster/*`],
        },
      ],
    });
    expect(grantOf("ecs:DescribeTasks")[0]?.resources).toEqual([
      `arn:aws:ecs:eu-west-1:${ACCOUNT}:task/*`,
    ]);
  });

  it.each([
    ["no function ARN", undefined],
    ["a wildcard", `arn:aws:lambda:eu-west-1:${ACCOUNT}:function:*`],
    ["another account", functionArn("aws", "eu-west-1", "210987654321", "f")],
    ["another region", functionArn("aws", "us-east-1", ACCOUNT, "f")],
    ["a qualified ARN", `${OWN_ARN}:live`],
    ["another service", `arn:aws:sqs:eu-west-1:${ACCOUNT}:f`],
  ])("refuses %s as its own ARN", (_label, arn) => {
    const { functionArn: _, ...rest } = ctx;
    expect(() =>
      functionStatements("retention-run", arn === undefined ? rest : { ...rest, functionArn: arn }),
    ).toThrow(IamConfigError);
  });

  it("runs 15 minutes with 1 GB, and is named so its role can name it", () => {
    expect(FUNCTION_SPECS["retention-run"]).toMatchObject({
      handler: "functions/retention-run.handler",
      timeoutSeconds: 900,
      memoryMb: 1024,
      selfInvoking: true,
    });
  });
});

describe("deployment and runtime agree", () => {
  it("the function reads the environment variables the deployment names", () => {
    const runtime = readFileSync(
      new URL("../../functions/runtime/retention-deps.ts", import.meta.url),
      "utf8",
    );
    for (const name of Object.values(RETENTION_ENV)) expect(runtime).toContain(`"${name}"`);
  });
});

describe("fixed function name", () => {
  it("is <app>-<stage>-<component> when it fits", () => {
    expect(fixedFunctionName("registry-guard", "prod", "RetentionRun")).toBe(
      "registry-guard-prod-RetentionRun",
    );
  });

  it("always fits Lambda's 64 characters, and stays distinct per stage", () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z][a-z0-9-]{0,60}$/),
        fc.stringMatching(/^[a-z][a-z0-9-]{0,60}$/),
        (a, b) => {
          const na = fixedFunctionName("registry-guard", a, "RetentionRun");
          const nb = fixedFunctionName("registry-guard", b, "RetentionRun");
          for (const n of [na, nb]) expect(n).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
          expect(na === nb).toBe(a === b);
          expect(fixedFunctionName("registry-guard", a, "RetentionRun")).toBe(na);
        },
      ),
    );
  });
});

describe("ECS clusters setting", () => {
  it("takes names and ARNs, comma-separated, blanks dropped", () => {
    expect(parseEcsClusters(undefined)).toEqual([]);
    expect(
      parseEcsClusters(` prod , ,arn:aws:ecs:eu-west-1:${ACCOUNT}:cluster/batch,prod`),
    ).toEqual(["prod", `arn:aws:ecs:eu-west-1:${ACCOUNT}:cluster/batch`]);
  });

  it("refuses what is not a cluster", () => {
    expect(() => parseEcsClusters("prod cluster")).toThrow(RetentionSettingsError);
    expect(() => parseEcsClusters("arn:aws:ecs:eu-west-1:1:cluster/x")).toThrow(
      /REGISTRY_GUARD_RETENTION_ECS_CLUSTERS/,
    );
  });
});

function policyWith(retention: string) {
  return retentionPolicyOf(loadPolicy(`version: 1\nretention:\n${retention}`, "policy.yaml"));
}

describe("retention schedule", () => {
  it("exists only when the policy has a schedule", () => {
    expect(retentionScheduleSpec(policyWith("  rules: []\n"))).toBeNull();
  });

  it.each([
    [false, true],
    [true, false],
  ])("scheduleApplies %s ⇒ the schedule's input says dryRun %s", (applies, dryRun) => {
    const spec = retentionScheduleSpec(
      policyWith(`  schedule: "cron(0 3 * * ? *)"\n  scheduleApplies: ${applies}\n`),
    );
    expect(spec).toMatchObject({
      componentName: "RetentionSchedule",
      scheduleExpression: "cron(0 3 * * ? *)",
      scheduleExpressionTimezone: "UTC",
      flexibleTimeWindow: { mode: "OFF" },
      input: { dryRun, source: "schedule" },
      retryPolicy: EVENT_TARGET_RETRY,
    });
    // What Scheduler sends is exactly what the function accepts.
    const sent = JSON.parse(JSON.stringify(spec?.input));
    expect(parseRetentionPayload(sent)).toEqual({ dryRun, source: "schedule" });
  });

  it("a schedule without scheduleApplies only plans", () => {
    const spec = retentionScheduleSpec(policyWith('  schedule: "rate(1 day)"\n'));
    expect(spec?.input).toEqual({ dryRun: true, source: "schedule" });
  });

  it("accepts cron, hourly-or-slower rates and at(); refuses faster rates and junk", () => {
    for (const ok of [
      "cron(0 3 * * ? *)",
      "rate(1 hour)",
      "rate(12 hours)",
      "rate(7 days)",
      "rate(90 minutes)",
      "at(2026-07-01T03:00:00)",
    ]) {
      expect(checkScheduleExpression(ok)).toBe(ok);
    }
    for (const bad of ["rate(5 minutes)", "rate(59 minutes)", "cron(0 3 * * ?)", "daily", ""]) {
      expect(() => checkScheduleExpression(bad), bad).toThrow(RetentionScheduleError);
    }
  });

  it("the example policy deploys", () => {
    const text = readFileSync(
      new URL("../../examples/registry-guard.yaml", import.meta.url),
      "utf8",
    );
    expect(() =>
      retentionScheduleSpec(retentionPolicyOf(loadPolicy(text, "registry-guard.yaml"))),
    ).not.toThrow();
  });
});

describe("the role EventBridge Scheduler assumes", () => {
  it("trusts only Scheduler, for schedules of this account", () => {
    expect(schedulerTrustPolicy(ACCOUNT)).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "EventBridgeSchedulerOfThisAccount",
          Effect: "Allow",
          Principal: { Service: "scheduler.amazonaws.com" },
          Action: "sts:AssumeRole",
          Condition: { StringEquals: { "aws:SourceAccount": ACCOUNT } },
        },
      ],
    });
    expect(() => schedulerTrustPolicy("*")).toThrow(RetentionScheduleError);
  });

  it("may invoke retention-run and dead-letter, nothing else", () => {
    const s = schedulerRoleStatements(OWN_ARN, QUEUE);
    expect(s.map((x) => [x.actions, x.resources])).toEqual([
      [["lambda:InvokeFunction"], [OWN_ARN]],
      [["sqs:SendMessage"], [QUEUE]],
    ]);
    expect(JSON.parse(policyJson(s))).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "InvokeRetentionRun",
          Effect: "Allow",
          Action: ["lambda:InvokeFunction"],
          Resource: [OWN_ARN],
        },
        {
          Sid: "DeadLetterUndeliverableRuns",
          Effect: "Allow",
          Action: ["sqs:SendMessage"],
          Resource: [QUEUE],
        },
      ],
    });
    expect(() =>
      schedulerRoleStatements(`arn:aws:lambda:eu-west-1:${ACCOUNT}:function:*`, QUEUE),
    ).toThrow(RetentionScheduleError);
    expect(() => schedulerRoleStatements(OWN_ARN, "*")).toThrow(RetentionScheduleError);
  });
});
