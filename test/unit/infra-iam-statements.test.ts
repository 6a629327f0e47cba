import * as dynamodb from "@aws-sdk/client-dynamodb";
import * as ecr from "@aws-sdk/client-ecr";
import * as ecs from "@aws-sdk/client-ecs";
import * as kms from "@aws-sdk/client-kms";
import * as lambda from "@aws-sdk/client-lambda";
import * as sns from "@aws-sdk/client-sns";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ACTION_COMMANDS,
  FUNCTION_SDK_CALLS,
  IMPLIED_ACTIONS,
  requiredActions,
} from "../../infra/data/function-sdk-calls.ts";
import { FUNCTION_NAMES, FUNCTION_SPECS } from "../../infra/data/function-specs.ts";
import {
  ACTIONS_WITHOUT_RESOURCE_LEVEL,
  deadLetterStatement,
  FUNCTION_ACTIONS,
  functionStatements,
  IamConfigError,
  type IamContext,
  type IamStatement,
  repositoryArns,
} from "../../infra/data/iam-statements.ts";

const ctx: IamContext = {
  region: "eu-west-1",
  account: "123456789012",
  tableArn: "arn:aws:dynamodb:eu-west-1:123456789012:table/registry-guard-prod-AuditTable",
  topicArn: "arn:aws:sns:eu-west-1:123456789012:registry-guard-prod-Alerts",
  topicKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
  // retention-run's grant on itself; the other functions ignore it.
  functionArn: "arn:aws:lambda:eu-west-1:123456789012:function:registry-guard-prod-RetentionRun",
};

const contexts: fc.Arbitrary<IamContext> = fc
  .record({
    partition: fc.constantFrom("aws", "aws-cn", "aws-us-gov"),
    region: fc.constantFrom("us-east-1", "eu-central-1", "ap-southeast-2", "cn-north-1"),
    account: fc.stringMatching(/^\d{12}$/),
    table: fc.stringMatching(/^[A-Za-z0-9_.-]{3,20}$/),
    topic: fc.stringMatching(/^[A-Za-z0-9_-]{1,20}$/),
    key: fc.uuid(),
    prefixes: fc.array(fc.stringMatching(/^[a-z0-9][a-z0-9._/-]{0,10}$/), { maxLength: 3 }),
  })
  .map(({ partition, region, account, table, topic, key, prefixes }) => ({
    partition,
    region,
    account,
    tableArn: `arn:${partition}:dynamodb:${region}:${account}:table/${table}`,
    topicArn: `arn:${partition}:sns:${region}:${account}:${topic}`,
    topicKeyArn: `arn:${partition}:kms:${region}:${account}:key/${key}`,
    repositoryPrefixes: prefixes,
    functionArn: `arn:${partition}:lambda:${region}:${account}:function:registry-guard-dev-RetentionRun`,
  }));

const actionsOf = (statements: IamStatement[]) => statements.flatMap((s) => s.actions);
const sorted = (xs: Iterable<string>) => [...new Set(xs)].sort();

describe("IAM actions equal the calls each function's code makes", () => {
  it.each(FUNCTION_NAMES)("%s: granted actions = its SDK calls plus what they imply", (fn) => {
    expect(FUNCTION_ACTIONS[fn]).toEqual(requiredActions(FUNCTION_SDK_CALLS[fn]));
    expect(sorted(actionsOf(functionStatements(fn, ctx)))).toEqual(FUNCTION_ACTIONS[fn]);
  });

  it("holds for every deployment context, with no action granted twice", () => {
    fc.assert(
      fc.property(contexts, fc.constantFrom(...FUNCTION_NAMES), (c, fn) => {
        const actions = actionsOf(functionStatements(fn, c));
        expect(actions.length).toBe(new Set(actions).size);
        expect(sorted(actions)).toEqual(FUNCTION_ACTIONS[fn]);
      }),
    );
  });

  it("declares every function, and only real API operations of the clients the code uses", () => {
    expect(Object.keys(FUNCTION_SDK_CALLS).sort()).toEqual([...FUNCTION_NAMES].sort());
    const clients: Record<string, Record<string, unknown>> = {
      ecr,
      dynamodb,
      sns,
      ecs,
      lambda,
      kms,
    };
    for (const action of Object.values(FUNCTION_SDK_CALLS).flat()) {
      const [service, operation] = action.split(":") as [string, string];
      const command = ACTION_COMMANDS[action] ?? operation;
      expect(clients[service], action).toBeDefined();
      expect(typeof clients[service]?.[`${command}Command`], action).toBe("function");
    }
  });

  it("only implies actions for calls some function makes", () => {
    const calls = new Set(Object.values(FUNCTION_SDK_CALLS).flat());
    for (const call of Object.keys(IMPLIED_ACTIONS)) expect(calls.has(call), call).toBe(true);
  });

  it("keeps on-image-push away from quarantine, findings and alerts", () => {
    const granted = FUNCTION_ACTIONS["on-image-push"];
    for (const a of [
      "ecr:UpdateImageStorageClass",
      "sns:Publish",
      "kms:Decrypt",
      "inspector2:ListFindings",
    ]) {
      expect(granted).not.toContain(a);
    }
    expect(FUNCTION_ACTIONS["scan-timeout-check"]).toEqual(FUNCTION_ACTIONS["on-scan-complete"]);
  });
});

describe("IAM statements are least privilege", () => {
  it("no wildcard action, no service-wide grant", () => {
    fc.assert(
      fc.property(contexts, fc.constantFrom(...FUNCTION_NAMES), (c, fn) => {
        for (const action of actionsOf(functionStatements(fn, c))) {
          expect(action).toMatch(/^[a-z0-9]+:[A-Za-z]+$/);
        }
      }),
    );
  });

  it("'*' as a resource only for actions without resource-level permissions", () => {
    fc.assert(
      fc.property(contexts, fc.constantFrom(...FUNCTION_NAMES), (c, fn) => {
        for (const s of functionStatements(fn, c)) {
          const unscoped = s.actions.every((a) => ACTIONS_WITHOUT_RESOURCE_LEVEL.includes(a));
          if (unscoped) {
            expect(s.resources).toEqual(["*"]);
          } else {
            expect(s.actions.some((a) => ACTIONS_WITHOUT_RESOURCE_LEVEL.includes(a))).toBe(false);
            for (const r of s.resources)
              expect(r).toMatch(/^arn:aws(-[a-z]+)*:[a-z0-9]+:[a-z0-9-]+:\d{12}:[^*]+\*?$/);
          }
        }
      }),
    );
  });

  it("scopes each service to this deployment's resources", () => {
    fc.assert(
      fc.property(contexts, fc.constantFrom(...FUNCTION_NAMES), (c, fn) => {
        for (const s of functionStatements(fn, c)) {
          const service = s.actions[0]?.split(":")[0];
          expect(s.actions.every((a) => a.startsWith(`${service}:`))).toBe(true);
          // Listing repository names is the one ECR grant across the registry (retention-run).
          if (service === "ecr" && s.actions.join() === "ecr:DescribeRepositories") {
            expect(s.resources).toEqual(repositoryArns({ ...c, repositoryPrefixes: [] }));
          } else if (service === "ecr") expect(s.resources).toEqual(repositoryArns(c));
          if (service === "sns") expect(s.resources).toEqual([c.topicArn]);
          if (s.actions.join() === "kms:GetPublicKey") {
            // No signing keys in the context: every key of the account in its region.
            expect(s.resources).toEqual([
              `arn:${c.partition ?? "aws"}:kms:${c.region}:${c.account}:key/*`,
            ]);
            expect(s.conditions).toBeUndefined();
          } else if (service === "kms") {
            expect(s.resources).toEqual([c.topicKeyArn]);
            expect(s.conditions).toEqual([
              {
                test: "StringEquals",
                variable: "kms:ViaService",
                values: [`sns.${c.region}.amazonaws.com`],
              },
            ]);
          }
          if (service === "dynamodb") {
            for (const r of s.resources) expect([c.tableArn, `${c.tableArn}/index/*`]).toContain(r);
            // Only Query reads indexes.
            if (s.resources.includes(`${c.tableArn}/index/*`))
              expect(s.actions).toEqual(["dynamodb:Query"]);
          }
        }
      }),
    );
  });

  it("limits ECR to configured repository prefixes", () => {
    expect(repositoryArns(ctx)).toEqual(["arn:aws:ecr:eu-west-1:123456789012:repository/*"]);
    expect(
      repositoryArns({ ...ctx, partition: "aws-cn", repositoryPrefixes: ["team-a/", "base"] }),
    ).toEqual([
      "arn:aws-cn:ecr:eu-west-1:123456789012:repository/team-a/*",
      "arn:aws-cn:ecr:eu-west-1:123456789012:repository/base*",
    ]);
  });

  it.each([
    ["a wildcard table", { tableArn: "*" }],
    ["a table ARN of another service", { tableArn: "arn:aws:s3:::bucket" }],
    ["a wildcard topic", { topicArn: "arn:aws:sns:eu-west-1:123456789012:*" }],
    ["a key alias pattern", { topicKeyArn: "arn:aws:kms:eu-west-1:123456789012:alias/*" }],
    ["a short account", { account: "1234" }],
    ["a bogus region", { region: "*" }],
    ["a wildcard repository prefix", { repositoryPrefixes: ["team-*"] }],
  ])("refuses %s", (_label, override) => {
    expect(() => {
      for (const fn of FUNCTION_NAMES) functionStatements(fn, { ...ctx, ...override });
    }).toThrow(IamConfigError);
  });

  it("the dead-letter grant is one action on one queue", () => {
    const queue = "arn:aws:sqs:eu-west-1:123456789012:registry-guard-prod-OnImagePushDlq";
    expect(deadLetterStatement(queue)).toEqual({
      sid: "SendToDeadLetterQueue",
      effect: "allow",
      actions: ["sqs:SendMessage"],
      resources: [queue],
    });
    expect(() => deadLetterStatement("*")).toThrow(IamConfigError);
  });
});

describe("function specs", () => {
  // retention-run is sized for its long runs (infra-retention.test.ts).
  it.each(FUNCTION_NAMES.filter((fn) => fn !== "retention-run"))(
    "%s runs on nodejs22.x arm64, 512 MB, 60 s, 2 async retries",
    (fn) => {
      expect(FUNCTION_SPECS[fn]).toMatchObject({
        name: fn,
        handler: `functions/${fn}.handler`,
        runtime: "nodejs22.x",
        architecture: "arm64",
        memoryMb: 512,
        timeoutSeconds: 60,
        asyncRetries: 2,
      });
    },
  );
});
