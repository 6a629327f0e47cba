import { EventPatternConfigError, validateRepositoryPrefixes } from "./event-patterns.ts";
import { type FunctionName, perFunction } from "./function-specs.ts";

/**
 * Least-privilege IAM statements per function, as plain data. infra/functions.ts passes them to
 * each function's role unchanged; tests check them against FUNCTION_SDK_CALLS.
 */

export interface IamCondition {
  test: string;
  variable: string;
  values: string[];
}

export interface IamStatement {
  sid: string;
  effect: "allow";
  actions: string[];
  resources: string[];
  conditions?: IamCondition[];
}

export interface IamContext {
  /** "aws", "aws-cn", "aws-us-gov". */
  partition?: string;
  region: string;
  account: string;
  tableArn: string;
  topicArn: string;
  /** The customer managed KMS key that encrypts the alerts topic. */
  topicKeyArn: string;
  /** Limit ECR access to repositories whose names start with these; default all in the account. */
  repositoryPrefixes?: readonly string[];
  /**
   * The function's own unqualified ARN, for grants on itself (retention-run continues a long
   * run by invoking itself). Required only by functions that have such a grant.
   */
  functionArn?: string;
  /**
   * The KMS key and alias ARNs the bundled policy trusts by kmsArn (policyKmsKeyArns). Given,
   * kms:GetPublicKey is granted on those keys only; absent, on every key of the account in the
   * deployment's region.
   */
  signingKeyArns?: readonly string[];
}

export class IamConfigError extends Error {
  readonly code = "IAM_CONFIG";
  constructor(message: string) {
    super(message);
    this.name = "IamConfigError";
  }
}

/**
 * Actions with no resource-level permissions: IAM only accepts "*" as their resource
 * ("Actions, resources, and condition keys for Amazon Inspector2": ListFindings has no resource
 * type). Every other statement names its resources.
 */
export const ACTIONS_WITHOUT_RESOURCE_LEVEL: readonly string[] = [
  "inspector2:ListFindings",
  "ecs:ListClusters",
  // The reference names a container-instance resource, but a role scoped to container
  // instances is refused on Fargate clusters; "*" with the ecs:cluster condition is what works.
  "ecs:ListTasks",
];

/** A named set of actions on one kind of resource; statements are built per grant. */
export type Grant =
  | "ecr-read"
  | "ecr-signature-layers"
  | "ecr-scan-findings"
  | "ecr-quarantine"
  | "inspector-findings"
  | "audit-query"
  | "audit-items"
  | "alerts-publish"
  | "alerts-key"
  | "ecr-list-repositories"
  | "ecr-delete"
  | "ecs-list-clusters"
  | "ecs-list-tasks"
  | "ecs-describe-tasks"
  | "self-invoke"
  | "signing-keys";

const GRANT_ACTIONS: Readonly<Record<Grant, readonly string[]>> = {
  "ecr-read": ["ecr:BatchGetImage", "ecr:DescribeImages"],
  // cosign signature layers, for the pipeline's signature checks; ECR's ListImageReferrers is
  // authorized as ecr:BatchGetImage.
  "ecr-signature-layers": ["ecr:GetDownloadUrlForLayer"],
  "ecr-scan-findings": ["ecr:DescribeImageScanFindings"],
  "ecr-quarantine": ["ecr:UpdateImageStorageClass"],
  "inspector-findings": ["inspector2:ListFindings"],
  "audit-query": ["dynamodb:Query"],
  "audit-items": ["dynamodb:PutItem", "dynamodb:UpdateItem"],
  "alerts-publish": ["sns:Publish"],
  "alerts-key": ["kms:GenerateDataKey", "kms:Decrypt"],
  "ecr-list-repositories": ["ecr:DescribeRepositories"],
  "ecr-delete": ["ecr:BatchDeleteImage"],
  "ecs-list-clusters": ["ecs:ListClusters"],
  "ecs-list-tasks": ["ecs:ListTasks"],
  "ecs-describe-tasks": ["ecs:DescribeTasks"],
  "self-invoke": ["lambda:InvokeFunction"],
  // Public keys of the KMS keys the policy trusts by kmsArn; signatures are verified locally.
  "signing-keys": ["kms:GetPublicKey"],
};

const RECORD: readonly Grant[] = [
  "ecr-read",
  "ecr-signature-layers",
  "signing-keys",
  "audit-query",
  "audit-items",
];
const DECIDE: readonly Grant[] = [
  ...RECORD,
  "ecr-scan-findings",
  "ecr-quarantine",
  "inspector-findings",
  "alerts-publish",
  "alerts-key",
];

const FUNCTION_GRANTS: Readonly<Record<FunctionName, readonly Grant[]>> = {
  "on-image-push": RECORD,
  "on-scan-complete": DECIDE,
  // It re-reads findings and may quarantine: the same needs as on-scan-complete.
  "scan-timeout-check": DECIDE,
  // No scan findings, no quarantine: it reads, deletes what the plan says, audits and alerts.
  "retention-run": [
    "ecr-list-repositories",
    "ecr-read",
    "ecr-delete",
    "ecs-list-clusters",
    "ecs-list-tasks",
    "ecs-describe-tasks",
    "self-invoke",
    "audit-query",
    "audit-items",
    "alerts-publish",
    "alerts-key",
  ],
};

/** Every action each function's role is granted for its code (sorted, unique). */
export const FUNCTION_ACTIONS: Readonly<Record<FunctionName, readonly string[]>> = perFunction(
  (fn) => grantActions(FUNCTION_GRANTS[fn]),
);

function requireArn(label: string, value: string, service: string): string {
  if (!value.startsWith("arn:") || value.split(":")[2] !== service || value.includes("*")) {
    throw new IamConfigError(
      `${label} must be a concrete ${service} ARN without wildcards, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function requirePart(label: string, value: string | undefined, pattern: RegExp): string {
  if (!value || !pattern.test(value)) {
    throw new IamConfigError(`${label} ${JSON.stringify(value)} is not valid`);
  }
  return value;
}

/** arn:<partition>:<service>:<region>:<account>:<resource>, each part checked. */
function regionalArn(ctx: IamContext, service: string, resource: string): string {
  const partition = requirePart("partition", ctx.partition ?? "aws", /^aws(-[a-z]+)*$/);
  const region = requirePart("region", ctx.region, /^[a-z]{2}(-[a-z]+)+-\d+$/);
  const account = requirePart("account", ctx.account, /^\d{12}$/);
  return `arn:${partition}:${service}:${region}:${account}:${resource}`;
}

/** Repository ARNs the ECR statements cover: all repositories, or one pattern per prefix. */
export function repositoryArns(ctx: IamContext): string[] {
  const base = regionalArn(ctx, "ecr", "repository/");
  let prefixes: string[];
  try {
    prefixes = validateRepositoryPrefixes(ctx.repositoryPrefixes ?? []);
  } catch (err) {
    if (err instanceof EventPatternConfigError) throw new IamConfigError(err.message);
    throw err;
  }
  return prefixes.length === 0 ? [`${base}*`] : prefixes.map((p) => `${base}${p}*`);
}

/** Every repository of the account in the deployment's region (for listing only). */
function allRepositoriesArn(ctx: IamContext): string {
  return regionalArn(ctx, "ecr", "repository/*");
}

/**
 * What kms:GetPublicKey is granted on: the policy's keys, or every key of the account in the
 * deployment's region. IAM authorizes a call made by alias against the key the alias points to,
 * so an alias ARN opens the keys of its account and region.
 */
export function signingKeyArns(ctx: IamContext): string[] {
  const given = ctx.signingKeyArns ?? [];
  if (given.length === 0) return [regionalArn(ctx, "kms", "key/*")];
  const arns = given.map((arn) => {
    const parts = arn.split(":");
    const [, partition, service, region, account, resource] = parts;
    const valid =
      parts.length === 6 &&
      partition === (ctx.partition ?? "aws") &&
      service === "kms" &&
      region !== undefined &&
      /^[a-z]{2}(-[a-z]+)+-\d+$/.test(region) &&
      account !== undefined &&
      /^\d{12}$/.test(account) &&
      resource !== undefined &&
      /^(key\/[0-9a-z-]+|alias\/[A-Za-z0-9/_-]+)$/.test(resource);
    if (!valid) {
      throw new IamConfigError(
        `signing key ${JSON.stringify(arn)} is not a KMS key or alias ARN of this partition`,
      );
    }
    return resource?.startsWith("alias/") ? `arn:${partition}:kms:${region}:${account}:key/*` : arn;
  });
  return [...new Set(arns)].sort();
}

/** The function's own ARN: a Lambda function of this account and region, unqualified. */
function ownFunctionArn(ctx: IamContext): string {
  const arn = requireArn("functionArn", ctx.functionArn ?? "", "lambda");
  const [, partition, , region, account, type, name, qualifier] = arn.split(":");
  if (
    partition !== (ctx.partition ?? "aws") ||
    region !== ctx.region ||
    account !== ctx.account ||
    type !== "function" ||
    !name ||
    !/^[A-Za-z0-9_-]{1,64}$/.test(name) ||
    qualifier !== undefined
  ) {
    throw new IamConfigError(
      `functionArn must be an unqualified function ARN of this account and region, got ${JSON.stringify(arn)}`,
    );
  }
  return arn;
}

function statementFor(grant: Grant, ctx: IamContext): IamStatement {
  const actions = [...GRANT_ACTIONS[grant]];
  const allow = (sid: string, resources: string[], conditions?: IamCondition[]): IamStatement => ({
    sid,
    effect: "allow",
    actions,
    resources,
    ...(conditions ? { conditions } : {}),
  });
  const table = () => requireArn("tableArn", ctx.tableArn, "dynamodb");
  switch (grant) {
    case "ecr-read":
      return allow("ReadImages", repositoryArns(ctx));
    case "ecr-signature-layers":
      return allow("ReadSignatureLayers", repositoryArns(ctx));
    case "ecr-scan-findings":
      return allow("ReadScanFindings", repositoryArns(ctx));
    case "ecr-quarantine":
      return allow("QuarantineImages", repositoryArns(ctx));
    case "inspector-findings":
      return allow("ReadEnhancedScanFindings", ["*"]);
    case "ecr-list-repositories":
      // Listing without names is authorized against the registry's repositories as a whole;
      // it reveals names only. Images stay limited to the watched prefixes below.
      return allow("ListRepositories", [allRepositoriesArn(ctx)]);
    case "ecr-delete":
      return allow("DeleteImages", repositoryArns(ctx));
    case "ecs-list-clusters":
      return allow("ListClusters", ["*"]);
    case "ecs-list-tasks":
      return allow(
        "ListTasks",
        ["*"],
        [
          {
            test: "ArnLike",
            variable: "ecs:cluster",
            values: [regionalArn(ctx, "ecs", "cluster/*")],
          },
        ],
      );
    case "ecs-describe-tasks":
      return allow("DescribeTasks", [regionalArn(ctx, "ecs", "task/*")]);
    case "self-invoke":
      return allow("InvokeItself", [ownFunctionArn(ctx)]);
    case "signing-keys":
      return allow("ReadSigningPublicKeys", signingKeyArns(ctx));
    case "audit-query":
      return allow("QueryAuditTrail", [table(), `${table()}/index/*`]);
    case "audit-items":
      return allow("WriteAuditTrail", [table()]);
    case "alerts-publish":
      return allow("PublishAlerts", [requireArn("topicArn", ctx.topicArn, "sns")]);
    case "alerts-key":
      // The key may only be used through SNS, i.e. for publishing to the encrypted topic.
      return allow(
        "EncryptAlerts",
        [requireArn("topicKeyArn", ctx.topicKeyArn, "kms")],
        [
          {
            test: "StringEquals",
            variable: "kms:ViaService",
            values: [`sns.${ctx.region}.amazonaws.com`],
          },
        ],
      );
  }
}

/** The statements one function's code needs. */
export function functionStatements(fn: FunctionName, ctx: IamContext): IamStatement[] {
  return grantStatements(FUNCTION_GRANTS[fn], ctx);
}

/** Statements for a list of grants (for functions outside FUNCTION_NAMES, e.g. the webhook receiver). */
export function grantStatements(grants: readonly Grant[], ctx: IamContext): IamStatement[] {
  return grants.map((g) => statementFor(g, ctx));
}

/** The actions a list of grants allows (sorted, unique). */
export function grantActions(grants: readonly Grant[]): string[] {
  return [...new Set(grants.flatMap((g) => GRANT_ACTIONS[g]))].sort();
}

/**
 * Not for the code: Lambda sends a failed asynchronous event to the function's dead-letter
 * queue with the function's own role.
 */
export function deadLetterStatement(queueArn: string): IamStatement {
  return {
    sid: "SendToDeadLetterQueue",
    effect: "allow",
    actions: ["sqs:SendMessage"],
    resources: [requireArn("queueArn", queueArn, "sqs")],
  };
}

/** A statement in the shape SST's `permissions` takes. */
export function toPermission({ effect, actions, resources, conditions }: IamStatement) {
  return { effect, actions, resources, ...(conditions ? { conditions } : {}) };
}
