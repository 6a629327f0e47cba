import type { FunctionName } from "./function-specs.ts";

/**
 * The AWS API operations each function's code calls, as IAM action names. This is the declared
 * contract between the handlers and their IAM roles: a test asserts the roles grant exactly
 * these (plus IMPLIED_ACTIONS), and a test over the handlers' code paths can assert the code
 * calls nothing else.
 */
export const FUNCTION_SDK_CALLS: Readonly<Record<FunctionName, readonly string[]>> = {
  // A signature pushed under cosign's tag is verified at once: ListImageReferrers (authorized as
  // ecr:BatchGetImage) and the signature layers through GetDownloadUrlForLayer. Every function
  // that verifies signatures fetches the policy's KMS keys (kmsArn) with kms:GetPublicKey.
  "on-image-push": [
    "ecr:BatchGetImage",
    "ecr:GetDownloadUrlForLayer",
    "ecr:DescribeImages",
    "kms:GetPublicKey",
    "dynamodb:Query",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
  ],
  "on-scan-complete": [
    "ecr:BatchGetImage",
    "ecr:GetDownloadUrlForLayer",
    "ecr:DescribeImages",
    "ecr:DescribeImageScanFindings",
    "ecr:UpdateImageStorageClass",
    "kms:GetPublicKey",
    "dynamodb:Query",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "sns:Publish",
  ],
  // Re-reads findings of images still unscanned and may quarantine them: same calls. The
  // signature deadline sweep reads signatures (ListImageReferrers, GetDownloadUrlForLayer) too.
  "scan-timeout-check": [
    "ecr:BatchGetImage",
    "ecr:GetDownloadUrlForLayer",
    "ecr:DescribeImages",
    "ecr:DescribeImageScanFindings",
    "ecr:UpdateImageStorageClass",
    "kms:GetPublicKey",
    "dynamodb:Query",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "sns:Publish",
  ],
  // Lists repositories and their images, deletes what the plan says, reads running ECS tasks
  // (protections.inUse), audits each deletion, alerts once per run and continues itself.
  "retention-run": [
    "ecr:DescribeRepositories",
    "ecr:DescribeImages",
    "ecr:BatchGetImage",
    "ecr:BatchDeleteImage",
    "ecs:ListClusters",
    "ecs:ListTasks",
    "ecs:DescribeTasks",
    "lambda:InvokeFunction",
    "dynamodb:Query",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "sns:Publish",
  ],
};

/**
 * IAM actions whose SDK command has another name ("service:Action" → command name without
 * "Command"). Every other action is its command's name.
 */
export const ACTION_COMMANDS: Readonly<Record<string, string>> = {
  "lambda:InvokeFunction": "Invoke",
  // ECR authorizes ListImageReferrers as ecr:BatchGetImage (ECR API reference).
  "ecr:BatchGetImage": "ListImageReferrers",
};

/** The IAM action a sent SDK command is authorized as: ("lambda", "Invoke") → lambda:InvokeFunction. */
export function actionOfCommand(service: string, command: string): string {
  const renamed = Object.entries(ACTION_COMMANDS).find(
    ([action, name]) => name === command && action.startsWith(`${service}:`),
  );
  return renamed ? renamed[0] : `${service}:${command}`;
}

/**
 * Actions AWS checks against the caller's role on its behalf when the code makes a call, though
 * the code never calls them itself.
 */
export const IMPLIED_ACTIONS: Readonly<Record<string, readonly string[]>> = {
  // The alerts topic is encrypted with a customer managed KMS key: SNS generates a data key and
  // decrypts with the publisher's permissions ("Encryption at rest", Amazon SNS guide).
  "sns:Publish": ["kms:GenerateDataKey", "kms:Decrypt"],
  // With enhanced scanning, ECR reads the findings from Amazon Inspector as the caller ("IAM
  // permissions required for enhanced scanning in Amazon ECR").
  "ecr:DescribeImageScanFindings": ["inspector2:ListFindings"],
};

/** The SDK calls plus what they imply, sorted and unique. */
export function requiredActions(calls: readonly string[]): string[] {
  const all = calls.flatMap((c) => [c, ...(IMPLIED_ACTIONS[c] ?? [])]);
  return [...new Set(all)].sort();
}
