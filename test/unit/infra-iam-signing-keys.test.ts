import { describe, expect, it } from "vitest";
import { FUNCTION_SDK_CALLS } from "../../infra/data/function-sdk-calls.ts";
import {
  FUNCTION_ACTIONS,
  functionStatements,
  IamConfigError,
  type IamContext,
  signingKeyArns,
} from "../../infra/data/iam-statements.ts";
import { WEBHOOK_SDK_CALLS, webhookStatements } from "../../infra/data/webhook-function.ts";
import { loadPolicy } from "../../shared/domain/policy-load.ts";
import { policyKmsKeyArns } from "../../shared/domain/signature-policy.ts";

const ctx: IamContext = {
  region: "eu-west-1",
  account: "123456789012",
  tableArn: "arn:aws:dynamodb:eu-west-1:123456789012:table/registry-guard-prod-AuditTable",
  topicArn: "arn:aws:sns:eu-west-1:123456789012:registry-guard-prod-Alerts",
  topicKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
  functionArn: "arn:aws:lambda:eu-west-1:123456789012:function:registry-guard-prod-RetentionRun",
};
const KEY = "arn:aws:kms:us-east-2:111122223333:key/0a1b2c3d-4e5f-6789-abcd-ef0123456789";
const ALIAS = "arn:aws:kms:eu-west-1:123456789012:alias/release";

const getPublicKey = (statements: ReturnType<typeof functionStatements>) =>
  statements.filter((s) => s.actions.includes("kms:GetPublicKey"));

describe("kms:GetPublicKey for the functions that verify signatures", () => {
  it("is declared and granted exactly where signatures are verified", () => {
    const verifying = ["on-image-push", "on-scan-complete", "scan-timeout-check"] as const;
    for (const fn of verifying) {
      expect(FUNCTION_SDK_CALLS[fn]).toContain("kms:GetPublicKey");
      expect(FUNCTION_ACTIONS[fn]).toContain("kms:GetPublicKey");
    }
    expect(FUNCTION_ACTIONS["retention-run"]).not.toContain("kms:GetPublicKey");
    expect(WEBHOOK_SDK_CALLS).toContain("kms:GetPublicKey");
    expect(getPublicKey(webhookStatements(ctx))).toHaveLength(1);
  });

  it("without the policy's keys: every key of the account in the deployment's region", () => {
    const [s] = getPublicKey(functionStatements("on-image-push", ctx));
    expect(s).toEqual({
      sid: "ReadSigningPublicKeys",
      effect: "allow",
      actions: ["kms:GetPublicKey"],
      resources: ["arn:aws:kms:eu-west-1:123456789012:key/*"],
    });
  });

  it("with the policy's keys: those keys, an alias opening the keys of its account and region", () => {
    const loaded = loadPolicy(
      `version: 1
defaults:
  signatures:
    keys: [{ name: a, kmsArn: "awskms:///${KEY}" }]
repositories:
  - match: "prod/**"
    signatures:
      keys: [{ name: b, kmsArn: "${ALIAS}" }, { name: c, kmsArn: "${KEY}" }]
`,
      "p.yaml",
    );
    const scoped = { ...ctx, signingKeyArns: policyKmsKeyArns(loaded) };
    for (const statements of [
      functionStatements("on-scan-complete", scoped),
      webhookStatements(scoped),
    ]) {
      expect(getPublicKey(statements).map((s) => s.resources)).toEqual([
        ["arn:aws:kms:eu-west-1:123456789012:key/*", KEY],
      ]);
    }
  });

  it.each([
    ["a wildcard", "arn:aws:kms:us-east-2:111122223333:key/*"],
    ["another partition", "arn:aws-cn:kms:cn-north-1:111122223333:key/0a1b2c3d"],
    ["another service", "arn:aws:sns:us-east-2:111122223333:topic"],
  ])("refuses %s as a signing key", (_label, arn) => {
    expect(() => signingKeyArns({ ...ctx, signingKeyArns: [arn] })).toThrow(IamConfigError);
  });
});
