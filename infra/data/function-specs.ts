/**
 * The Lambda functions as plain data: what runs where, sized how. infra/functions.ts turns
 * these into SST components; tests read them directly.
 */

export const FUNCTION_NAMES = [
  "on-image-push",
  "on-scan-complete",
  "scan-timeout-check",
  "retention-run",
] as const;
export type FunctionName = (typeof FUNCTION_NAMES)[number];

/** Builds one value per function, keyed by function name. */
export function perFunction<T>(build: (fn: FunctionName) => T): Record<FunctionName, T> {
  return {
    "on-image-push": build("on-image-push"),
    "on-scan-complete": build("on-scan-complete"),
    "scan-timeout-check": build("scan-timeout-check"),
    "retention-run": build("retention-run"),
  };
}

export interface FunctionSpec {
  name: FunctionName;
  /** SST component name (PascalCase, unique in the app). */
  componentName: string;
  /** Path to the handler export, relative to the repository root. */
  handler: string;
  description: string;
  runtime: "nodejs22.x";
  architecture: "arm64";
  memoryMb: number;
  timeoutSeconds: number;
  /** Lambda's own retries of a failed asynchronous invocation (0–2) before dead-lettering. */
  asyncRetries: number;
  /**
   * The function invokes itself (a long run continues in a new invocation). It then gets a
   * fixed physical name, so its role can name its own ARN without a dependency cycle.
   */
  selfInvoking?: true;
}

const common = {
  runtime: "nodejs22.x",
  architecture: "arm64",
  memoryMb: 512,
  timeoutSeconds: 60,
  asyncRetries: 2,
} as const;

export const FUNCTION_SPECS: Readonly<Record<FunctionName, FunctionSpec>> = {
  "on-image-push": {
    ...common,
    name: "on-image-push",
    componentName: "OnImagePush",
    handler: "functions/on-image-push.handler",
    description: "Records ECR pushes, deletes, referrer pushes and CloudTrail PutImage calls",
  },
  "on-scan-complete": {
    ...common,
    name: "on-scan-complete",
    componentName: "OnScanComplete",
    handler: "functions/on-scan-complete.handler",
    description:
      "Runs the severity gate when a basic or enhanced scan completes; quarantines and alerts",
  },
  "scan-timeout-check": {
    ...common,
    name: "scan-timeout-check",
    componentName: "ScanTimeoutCheck",
    handler: "functions/scan-timeout-check.handler",
    description: "Every 5 minutes: gates images still unscanned after the policy's timeout",
  },
  "retention-run": {
    ...common,
    name: "retention-run",
    componentName: "RetentionRun",
    handler: "functions/retention-run.handler",
    description:
      "Retention and garbage collection of ECR images: on demand or on the policy's schedule, dry run first",
    // Lambda's maximum: a step plans and deletes for up to ~12 minutes, then continues itself.
    timeoutSeconds: 900,
    // Plans hold every artifact of the repositories of one step in memory.
    memoryMb: 1024,
    selfInvoking: true,
  },
};

/** The file name the policy has inside every function bundle (and the POLICY_FILE value). */
export const BUNDLED_POLICY_FILE = "registry-guard.yaml";

/** How often the scan-timeout sweep runs (EventBridge schedule expression). */
export const SCAN_TIMEOUT_SCHEDULE = "rate(5 minutes)";
