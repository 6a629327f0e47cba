import type { FunctionName } from "./function-specs.ts";

/**
 * EventBridge rule patterns as plain objects, exactly as they are sent to PutRule. Shapes follow
 * the published sample events: "Amazon ECR events and EventBridge" (ECR Image Action, ECR
 * Referrer Action, ECR Image Scan), "EventBridge events sent for enhanced scanning" (Inspector2
 * Scan) and "AWS service events delivered via CloudTrail" (AWS API Call via CloudTrail).
 */

/** One comparison in a pattern's value list; the subset of EventBridge operators we use. */
export type PatternOperator =
  | { prefix: string }
  | { "anything-but": string | number | readonly (string | number)[] | { prefix: string } }
  | { exists: boolean };

export type PatternValue = string | number | boolean | null | PatternOperator;

/** A field maps to a list of alternatives (OR) or to a nested pattern (AND over its fields). */
export interface EventPattern {
  readonly [field: string]: readonly PatternValue[] | EventPattern;
}

export const EVENT_RULE_NAMES = [
  "imagePush",
  "referrerAction",
  "cloudTrailPutImage",
  "basicScan",
  "enhancedScan",
] as const;
export type EventRuleName = (typeof EVENT_RULE_NAMES)[number];

export interface EventRuleSpec {
  name: EventRuleName;
  /** SST component name (PascalCase, unique in the app). */
  componentName: string;
  description: string;
  target: FunctionName;
  pattern: EventPattern;
}

export interface EventPatternOptions {
  /**
   * Only events for repositories whose name starts with one of these are delivered. Empty or
   * absent: every repository in the account and region.
   */
  repositoryPrefixes?: readonly string[];
  /**
   * Needed only with repositoryPrefixes: Inspector2 Scan events carry the repository ARN (not
   * its name) in detail.repository-name, so the prefix is matched on the ARN.
   */
  partition?: string;
  region?: string;
  account?: string;
}

export class EventPatternConfigError extends Error {
  readonly code = "EVENT_PATTERN_CONFIG";
  constructor(message: string) {
    super(message);
    this.name = "EventPatternConfigError";
  }
}

/** ECR repository names: lowercase segments separated by /, with . _ - inside segments. */
const REPOSITORY_PREFIX = /^[a-z0-9][a-z0-9._/-]*$/;

export function validateRepositoryPrefixes(prefixes: readonly string[]): string[] {
  for (const p of prefixes) {
    if (!REPOSITORY_PREFIX.test(p)) {
      throw new EventPatternConfigError(
        `repository prefix ${JSON.stringify(p)} is not a valid start of an ECR repository name ` +
          "(lowercase letters, digits, '.', '_', '-', '/'; no wildcards)",
      );
    }
  }
  return [...new Set(prefixes)];
}

/** Parses a comma-separated prefix list (deploy-time config); blank entries are dropped. */
export function parseRepositoryPrefixes(raw: string | undefined): string[] {
  if (!raw) return [];
  return validateRepositoryPrefixes(
    raw
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s !== ""),
  );
}

function byName(prefixes: readonly string[]): PatternValue[] {
  return prefixes.map((prefix) => ({ prefix }));
}

export function buildEventRules(
  options: EventPatternOptions = {},
): Readonly<Record<EventRuleName, EventRuleSpec>> {
  const prefixes = validateRepositoryPrefixes(options.repositoryPrefixes ?? []);
  const restricted = prefixes.length > 0;
  const repositoryName: EventPattern = restricted ? { "repository-name": byName(prefixes) } : {};

  let enhancedRepository: PatternValue[] = [{ exists: true }];
  if (restricted) {
    const { partition = "aws", region, account } = options;
    if (!region || !account) {
      throw new EventPatternConfigError(
        "repositoryPrefixes needs region and account: Inspector2 Scan events name the repository by ARN",
      );
    }
    enhancedRepository = prefixes.map((p) => ({
      prefix: `arn:${partition}:ecr:${region}:${account}:repository/${p}`,
    }));
  }

  return {
    imagePush: {
      name: "imagePush",
      componentName: "ImagePushRule",
      description: "ECR image pushed or deleted (successful actions only)",
      target: "on-image-push",
      pattern: {
        source: ["aws.ecr"],
        "detail-type": ["ECR Image Action"],
        detail: {
          // Not UPDATE_STORAGE_CLASS: quarantine and release cause those, so matching them would loop.
          "action-type": ["PUSH", "DELETE"],
          result: ["SUCCESS"],
          ...repositoryName,
        },
      },
    },
    referrerAction: {
      name: "referrerAction",
      componentName: "ReferrerActionRule",
      description: "Signature, SBOM or attestation (referrer) pushed to ECR",
      target: "on-image-push",
      pattern: {
        source: ["aws.ecr"],
        "detail-type": ["ECR Referrer Action"],
        detail: {
          // Archiving an image archives its referrers too: those echoes of our own quarantine
          // and release must not come back as new events.
          "action-type": [{ "anything-but": "UPDATE_STORAGE_CLASS" }],
          result: ["SUCCESS"],
          ...repositoryName,
        },
      },
    },
    cloudTrailPutImage: {
      name: "cloudTrailPutImage",
      componentName: "CloudTrailPutImageRule",
      description: "Who pushed: CloudTrail's record of successful ECR PutImage calls",
      target: "on-image-push",
      pattern: {
        source: ["aws.ecr"],
        "detail-type": ["AWS API Call via CloudTrail"],
        detail: {
          eventSource: ["ecr.amazonaws.com"],
          eventName: ["PutImage"],
          // A failed call (e.g. ImageAlreadyExistsException) pushed nothing.
          errorCode: [{ exists: false }],
          ...(restricted ? { requestParameters: { repositoryName: byName(prefixes) } } : {}),
        },
      },
    },
    basicScan: {
      name: "basicScan",
      componentName: "BasicScanRule",
      description: "ECR basic scan finished (COMPLETE or FAILED)",
      target: "on-scan-complete",
      pattern: {
        source: ["aws.ecr"],
        "detail-type": ["ECR Image Scan"],
        ...(restricted ? { detail: repositoryName } : {}),
      },
    },
    enhancedScan: {
      name: "enhancedScan",
      componentName: "EnhancedScanRule",
      description: "Amazon Inspector finished the initial scan of an ECR image (enhanced scanning)",
      target: "on-scan-complete",
      pattern: {
        source: ["aws.inspector2"],
        "detail-type": ["Inspector2 Scan"],
        // Inspector2 Scan also reports EC2 instances and Lambda functions: only ECR images
        // carry detail.repository-name.
        detail: { "repository-name": enhancedRepository },
      },
    },
  };
}

/** The rules without repository restriction. */
export const EVENT_RULES = buildEventRules();
