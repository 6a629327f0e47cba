import { requiredActions } from "./function-sdk-calls.ts";
import type { FunctionSpec } from "./function-specs.ts";
import {
  type Grant,
  grantActions,
  grantStatements,
  type IamContext,
  type IamStatement,
} from "./iam-statements.ts";

/**
 * The webhook receiver as plain data: a function behind a Function URL that runs the pipeline
 * inline for CNCF distribution and Harbor webhooks. infra/webhook-receiver.ts turns it into
 * components; tests read it directly. It is not in FUNCTION_NAMES: it exists only on stages
 * that watch an OCI registry, and it has no event rule, schedule or dead-letter queue (the
 * registry holds a failed delivery and retries it).
 */
export interface WebhookFunctionSpec extends Omit<FunctionSpec, "name" | "asyncRetries"> {
  name: "webhook-receiver";
  /** The Function URL's auth type: the shared secret authenticates, not IAM (registries cannot sign SigV4). */
  urlAuthorization: "none";
}

export const WEBHOOK_FUNCTION_SPEC: WebhookFunctionSpec = {
  name: "webhook-receiver",
  componentName: "WebhookReceiver",
  handler: "functions/webhook-receiver.handler",
  description:
    "Receives CNCF distribution and Harbor webhooks (Function URL, shared secret) and runs the gate inline",
  runtime: "nodejs22.x",
  architecture: "arm64",
  memoryMb: 512,
  // Same as the other functions: the in-flight lease (60 s) must outlast it.
  timeoutSeconds: 60,
  urlAuthorization: "none",
};

/**
 * The receiver's scan-timeout sweep: on the same schedule as the ECR sweep, it decides the
 * images the receiver recorded for its registry that nobody scanned in time. Same environment
 * (minus the webhook secret) and the same role statements as the receiver: it reads the audit
 * trail, writes decisions and alerts, and reaches the registry over HTTPS.
 */
export const OCI_SWEEP_FUNCTION_SPEC = {
  name: "oci-scan-timeout-check",
  componentName: "OciScanTimeoutCheck",
  handler: "functions/oci-scan-timeout-check.handler",
  description:
    "Every 5 minutes: gates OCI registry images still unscanned after the policy's timeout",
  runtime: "nodejs22.x",
  architecture: "arm64",
  memoryMb: 512,
  timeoutSeconds: 60,
  asyncRetries: 2,
} as const;

/**
 * The AWS calls the receiver's code makes: the audit trail, alerts, and the public keys of the
 * policy's KMS signing keys. The registry is reached over HTTPS with its own credentials, so no
 * ECR action at all.
 */
export const WEBHOOK_SDK_CALLS: readonly string[] = [
  "kms:GetPublicKey",
  "dynamodb:Query",
  "dynamodb:PutItem",
  "dynamodb:UpdateItem",
  "sns:Publish",
];

const WEBHOOK_GRANTS: readonly Grant[] = [
  "signing-keys",
  "audit-query",
  "audit-items",
  "alerts-publish",
  "alerts-key",
];

/** Every action the receiver's role is granted (sorted, unique). */
export const WEBHOOK_ACTIONS: readonly string[] = grantActions(WEBHOOK_GRANTS);

/** The receiver's role statements: what on-scan-complete has, minus every ECR and Inspector grant. */
export function webhookStatements(ctx: IamContext): IamStatement[] {
  return grantStatements(WEBHOOK_GRANTS, ctx);
}

/** The SDK calls plus what AWS checks on their behalf (KMS for the encrypted topic). */
export const WEBHOOK_REQUIRED_ACTIONS: readonly string[] = requiredActions(WEBHOOK_SDK_CALLS);

/** Environment variable names the handler reads (functions/runtime/oci-pipeline-deps.ts). */
export const WEBHOOK_ENV = {
  tableName: "TABLE_NAME",
  topicArn: "TOPIC_ARN",
  policyFile: "POLICY_FILE",
  registryUrl: "REGISTRY_URL",
  registryUsername: "REGISTRY_USERNAME",
  registryPassword: "REGISTRY_PASSWORD",
  quarantineRepository: "REGISTRY_QUARANTINE_REPOSITORY",
  scanSource: "REGISTRY_SCAN_SOURCE",
  webhookSecret: "WEBHOOK_SECRET",
} as const;

/** SST secret names (`sst secret set <name> <value> --stage <stage>`). */
export const WEBHOOK_SECRETS = {
  webhookSecret: "WebhookSecret",
  registryUsername: "RegistryUsername",
  registryPassword: "RegistryPassword",
} as const;
