import { readFileSync } from "node:fs";
import * as dynamodb from "@aws-sdk/client-dynamodb";
import * as kms from "@aws-sdk/client-kms";
import * as sns from "@aws-sdk/client-sns";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { requiredActions } from "../../infra/data/function-sdk-calls.ts";
import { FUNCTION_NAMES, FUNCTION_SPECS } from "../../infra/data/function-specs.ts";
import {
  FUNCTION_ACTIONS,
  functionStatements,
  type IamContext,
} from "../../infra/data/iam-statements.ts";
import { WEBHOOK_ALARMS, WEBHOOK_SERVICE_NAME } from "../../infra/data/webhook-alarms.ts";
import {
  OCI_SWEEP_FUNCTION_SPEC,
  WEBHOOK_ACTIONS,
  WEBHOOK_ENV,
  WEBHOOK_FUNCTION_SPEC,
  WEBHOOK_REQUIRED_ACTIONS,
  WEBHOOK_SDK_CALLS,
  webhookStatements,
} from "../../infra/data/webhook-function.ts";
import {
  DEFAULT_WEBHOOK_RESERVED_CONCURRENCY,
  parseWebhookSettings,
  WEBHOOK_SETTING_NAMES,
  WebhookSettingsError,
} from "../../infra/data/webhook-settings.ts";
import { DEFAULT_IN_FLIGHT } from "../../shared/pipeline/in-flight.ts";

const ctx: IamContext = {
  region: "eu-west-1",
  account: "123456789012",
  tableArn: "arn:aws:dynamodb:eu-west-1:123456789012:table/registry-guard-prod-AuditTable",
  topicArn: "arn:aws:sns:eu-west-1:123456789012:registry-guard-prod-Alerts",
  topicKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
};

const contexts: fc.Arbitrary<IamContext> = fc
  .record({
    partition: fc.constantFrom("aws", "aws-cn", "aws-us-gov"),
    region: fc.constantFrom("us-east-1", "eu-central-1", "cn-north-1"),
    account: fc.stringMatching(/^\d{12}$/),
    table: fc.stringMatching(/^[A-Za-z0-9_.-]{3,20}$/),
    key: fc.uuid(),
  })
  .map(({ partition, region, account, table, key }) => ({
    partition,
    region,
    account,
    tableArn: `arn:${partition}:dynamodb:${region}:${account}:table/${table}`,
    topicArn: `arn:${partition}:sns:${region}:${account}:alerts`,
    topicKeyArn: `arn:${partition}:kms:${region}:${account}:key/${key}`,
  }));

const source = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), "utf8");

describe("webhook receiver IAM", () => {
  it("grants exactly the SDK calls its code makes, plus what they imply", () => {
    expect(WEBHOOK_ACTIONS).toEqual(requiredActions(WEBHOOK_SDK_CALLS));
    expect(WEBHOOK_REQUIRED_ACTIONS).toEqual(WEBHOOK_ACTIONS);
    fc.assert(
      fc.property(contexts, (c) => {
        const actions = webhookStatements(c).flatMap((s) => s.actions);
        expect(actions.length).toBe(new Set(actions).size);
        expect([...actions].sort()).toEqual(WEBHOOK_ACTIONS);
      }),
    );
  });

  it("has no ECR or Inspector action at all", () => {
    fc.assert(
      fc.property(contexts, (c) => {
        for (const s of webhookStatements(c)) {
          for (const a of s.actions) expect(a).not.toMatch(/^(ecr|inspector2):/);
          for (const r of s.resources) expect(r).not.toMatch(/:ecr:/);
        }
      }),
    );
    for (const a of WEBHOOK_SDK_CALLS) expect(a).not.toMatch(/^ecr:/);
  });

  it("is on-scan-complete's audit and alert grants, statement for statement, minus ECR", () => {
    const onScan = functionStatements("on-scan-complete", ctx).filter(
      (s) => !s.actions.some((a) => /^(ecr|inspector2):/.test(a)),
    );
    expect(webhookStatements(ctx)).toEqual(onScan);
    expect(
      FUNCTION_ACTIONS["on-scan-complete"].filter((a) => !/^(ecr|inspector2):/.test(a)),
    ).toEqual(WEBHOOK_ACTIONS);
  });

  it("declares only real operations of the clients its code uses", () => {
    const clients: Record<string, Record<string, unknown>> = { dynamodb, sns, kms };
    for (const action of WEBHOOK_SDK_CALLS) {
      const [service, operation] = action.split(":") as [string, string];
      expect(typeof clients[service]?.[`${operation}Command`], action).toBe("function");
    }
  });

  it("the handler's runtime imports no ECR client", () => {
    for (const file of [
      "functions/webhook-receiver.ts",
      "functions/runtime/oci-pipeline-deps.ts",
    ]) {
      expect(source(file)).not.toMatch(/client-ecr|EcrRegistry/);
    }
  });
});

describe("webhook receiver function", () => {
  it("runs on nodejs22.x arm64 behind a Function URL with auth type NONE", () => {
    expect(WEBHOOK_FUNCTION_SPEC).toMatchObject({
      handler: "functions/webhook-receiver.handler",
      runtime: "nodejs22.x",
      architecture: "arm64",
      urlAuthorization: "none",
    });
    expect(FUNCTION_NAMES as readonly string[]).not.toContain(WEBHOOK_FUNCTION_SPEC.name);
    const names = Object.values(FUNCTION_SPECS).map((s) => s.componentName);
    expect(names).not.toContain(WEBHOOK_FUNCTION_SPEC.componentName);
  });

  it("a decision's lease outlasts its timeout, so a retry never takes over a live run", () => {
    expect(DEFAULT_IN_FLIGHT.leaseSeconds).toBeGreaterThanOrEqual(
      WEBHOOK_FUNCTION_SPEC.timeoutSeconds,
    );
  });

  it("is a thin entry point, where the spec points", () => {
    const [file, exported] = WEBHOOK_FUNCTION_SPEC.handler.split(".");
    const text = source(`${file}.ts`);
    expect(text.split("\n").filter((l) => l.trim() !== "").length).toBeLessThan(40);
    expect(text).toMatch(new RegExp(`export const ${exported} = wrap\\(`));
    expect(text).not.toMatch(/@aws-sdk\//);
  });

  it("reads every environment variable the deployment sets, and the deployment sets them all", () => {
    const runtime =
      source("functions/runtime/oci-pipeline-deps.ts") +
      source("functions/runtime/aws-core-deps.ts");
    const infra = source("infra/webhook-receiver.ts");
    for (const [key, name] of Object.entries(WEBHOOK_ENV)) {
      expect(runtime, name).toMatch(new RegExp(`(env\\.|")${name}\\b`));
      expect(infra, key).toContain(`WEBHOOK_ENV.${key}`);
    }
  });

  it("alarms on pipeline failures and refused bodies of its own service, not on unauthorized knocks", () => {
    expect(WEBHOOK_SERVICE_NAME).toBe("webhook-receiver");
    expect(source("functions/webhook-receiver.ts")).toContain(
      `observability("${WEBHOOK_SERVICE_NAME}")`,
    );
    expect(WEBHOOK_ALARMS.map((a) => a.metricName).sort()).toEqual([
      "WebhookPipelineFailed",
      "WebhookRejected",
    ]);
    for (const a of WEBHOOK_ALARMS) {
      expect(a).toMatchObject({
        namespace: "RegistryGuard",
        dimensions: { service: "webhook-receiver" },
        threshold: 0,
        comparisonOperator: "GreaterThanThreshold",
      });
      // The metric is one the receiver actually emits.
      expect(source("shared/receiver/receive-webhook.ts")).toContain(`"${a.metricName}"`);
    }
  });
});

describe("the receiver's scan-timeout sweep", () => {
  it("is a thin scheduled entry point over the OCI adapter, where its spec points", () => {
    const [file, exported] = OCI_SWEEP_FUNCTION_SPEC.handler.split(".");
    const text = source(`${file}.ts`);
    expect(text.split("\n").filter((l) => l.trim() !== "").length).toBeLessThan(30);
    expect(text).toMatch(new RegExp(`export const ${exported} = wrap\\(`));
    expect(text).toContain("ociPipelineDeps");
    expect(text).not.toMatch(/@aws-sdk\/|client-ecr|EcrRegistry/);
    // It decides only its own registry's images: never an ECR one it could not reach.
    expect(text).toMatch(
      /owns: \(ref\) => ref\.registry === "oci" && ref\.registryId === registry\.registryId/,
    );
  });

  it("runs like the ECR sweep, with the receiver's role and environment minus the secret", () => {
    expect(OCI_SWEEP_FUNCTION_SPEC).toMatchObject({
      runtime: FUNCTION_SPECS["scan-timeout-check"].runtime,
      architecture: FUNCTION_SPECS["scan-timeout-check"].architecture,
      timeoutSeconds: FUNCTION_SPECS["scan-timeout-check"].timeoutSeconds,
    });
    expect(DEFAULT_IN_FLIGHT.leaseSeconds).toBeGreaterThanOrEqual(
      OCI_SWEEP_FUNCTION_SPEC.timeoutSeconds,
    );
    const infra = source("infra/webhook-receiver.ts");
    const sweep = infra.slice(infra.indexOf("OCI_SWEEP_FUNCTION_SPEC;"));
    expect(sweep).toContain("environment: registryEnv,");
    expect(sweep).toContain("permissions,");
    expect(sweep).toContain("schedule: SCAN_TIMEOUT_SCHEDULE");
    const env = infra.slice(infra.indexOf("const registryEnv"), infra.indexOf("const fn ="));
    expect(env).not.toContain("webhookSecret");
    // The schedule's rule may dead-letter into the stage's event-delivery queue.
    expect(source("infra/index.ts")).toContain("receiver.scheduleRuleArn");
  });
});

describe("webhook receiver settings", () => {
  const url = WEBHOOK_SETTING_NAMES.registryUrl;

  it("no receiver unless the OCI registry URL is set", () => {
    expect(parseWebhookSettings({})).toBeNull();
    expect(parseWebhookSettings({ [url]: "  " })).toBeNull();
  });

  it("takes the registry's origin and host, and the defaults", () => {
    expect(parseWebhookSettings({ [url]: "https://registry.example.com:5000" })).toEqual({
      registryUrl: "https://registry.example.com:5000",
      registryHost: "registry.example.com:5000",
      reservedConcurrency: DEFAULT_WEBHOOK_RESERVED_CONCURRENCY,
      scanSource: "attached",
    });
    expect(
      parseWebhookSettings({
        [url]: "https://harbor.example.com/",
        [WEBHOOK_SETTING_NAMES.quarantineRepository]: "{repository}-quarantined",
        [WEBHOOK_SETTING_NAMES.reservedConcurrency]: "10",
        [WEBHOOK_SETTING_NAMES.scanSource]: "harbor",
      }),
    ).toEqual({
      registryUrl: "https://harbor.example.com",
      registryHost: "harbor.example.com",
      quarantineRepository: "{repository}-quarantined",
      reservedConcurrency: 10,
      scanSource: "harbor",
    });
  });

  it.each([
    ["not a URL", { [url]: "registry.example.com" }, /does not parse/],
    ["plain http", { [url]: "http://registry.example.com" }, /https/],
    ["credentials in the URL", { [url]: "https://u:p@registry.example.com" }, /credentials/],
    ["a path", { [url]: "https://registry.example.com/v2/" }, /without a path/],
    [
      "a bad quarantine template",
      {
        [url]: "https://r.example.com",
        [WEBHOOK_SETTING_NAMES.quarantineRepository]: "quarantine",
      },
      /QUARANTINE_REPOSITORY/,
    ],
    [
      "an unknown scan source",
      { [url]: "https://r.example.com", [WEBHOOK_SETTING_NAMES.scanSource]: "clair" },
      /expected one of attached, harbor/,
    ],
    [
      "zero concurrency",
      { [url]: "https://r.example.com", [WEBHOOK_SETTING_NAMES.reservedConcurrency]: "0" },
      /1 to/,
    ],
    [
      "fractional concurrency",
      { [url]: "https://r.example.com", [WEBHOOK_SETTING_NAMES.reservedConcurrency]: "2.5" },
      /whole number/,
    ],
  ])("refuses %s", (_label, env, message) => {
    expect(() => parseWebhookSettings(env)).toThrow(WebhookSettingsError);
    expect(() => parseWebhookSettings(env)).toThrow(message);
  });

  it("never quotes credentials given in the URL", () => {
    const err = (() => {
      try {
        parseWebhookSettings({ [url]: "https://user:hunter2-password@registry.example.com" });
      } catch (e) {
        return e as Error;
      }
      throw new Error("expected a WebhookSettingsError");
    })();
    expect(err.message).not.toContain("hunter2");
  });
});
