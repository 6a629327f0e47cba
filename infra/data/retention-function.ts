import { createHash } from "node:crypto";

/**
 * The retention function's deploy-time settings and names as plain data. It is a regular
 * function (FUNCTION_SPECS["retention-run"]); what is special about it lives here: a fixed
 * physical name (its role grants lambda:InvokeFunction on its own ARN, which must be known
 * before the function exists), and its environment.
 */

/** Environment variable names the handler reads (functions/runtime/retention-deps.ts). */
export const RETENTION_ENV = {
  /** Comma-separated ECS cluster names or ARNs whose running tasks protect digests. */
  ecsClusters: "RETENTION_ECS_CLUSTERS",
  /** Seconds left in an invocation below which the run hands over to a new invocation. */
  safetyMarginSeconds: "RETENTION_SAFETY_MARGIN_SECONDS",
  /** How many times one run may continue itself before it stops and alerts. */
  maxContinuations: "RETENTION_MAX_CONTINUATIONS",
} as const;

/** Deploy-time settings, read from the environment (or .env) when the stage is deployed. */
export const RETENTION_SETTING_NAMES = {
  ecsClusters: "REGISTRY_GUARD_RETENTION_ECS_CLUSTERS",
} as const;

export class RetentionSettingsError extends Error {
  override readonly name = "RetentionSettingsError";
  readonly code = "RETENTION_SETTINGS";
}

/** An ECS cluster name (1–255 letters, digits, hyphens, underscores) or a cluster ARN. */
const CLUSTER =
  /^([A-Za-z0-9_-]{1,255}|arn:aws(-[a-z]+)*:ecs:[a-z0-9-]+:\d{12}:cluster\/[A-Za-z0-9_-]{1,255})$/;

/** Comma-separated clusters; blank entries dropped; empty means every cluster of the region. */
export function parseEcsClusters(raw: string | undefined): string[] {
  const clusters = (raw ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  for (const c of clusters) {
    if (!CLUSTER.test(c)) {
      throw new RetentionSettingsError(
        `${RETENTION_SETTING_NAMES.ecsClusters}: ${JSON.stringify(c)} is not an ECS cluster name or cluster ARN`,
      );
    }
  }
  return [...new Set(clusters)];
}

/** Lambda function names: 1–64 letters, digits, hyphens, underscores. */
const MAX_FUNCTION_NAME = 64;

/**
 * `<app>-<stage>-<component>`, as SST names things, so stages never collide. Too long for
 * Lambda: cut, then made unique again with a hash of the full name.
 */
export function fixedFunctionName(app: string, stage: string, componentName: string): string {
  const full = `${app}-${stage}-${componentName}`.replace(/[^A-Za-z0-9_-]/g, "-");
  if (full.length <= MAX_FUNCTION_NAME) return full;
  const hash = createHash("sha256").update(full, "utf8").digest("hex").slice(0, 8);
  return `${full.slice(0, MAX_FUNCTION_NAME - hash.length - 1)}-${hash}`;
}

/** The unqualified ARN of a function of this account and region. */
export function functionArn(
  partition: string,
  region: string,
  account: string,
  name: string,
): string {
  return `arn:${partition}:lambda:${region}:${account}:function:${name}`;
}
