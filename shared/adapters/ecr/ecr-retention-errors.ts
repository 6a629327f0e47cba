import { awsErrorName } from "./ecr-errors.ts";

export const ECR_RETENTION_ERROR_CODES = [
  /** A repository-level ECR call failed after the SDK's retries (permissions, KMS, a fault …). */
  "ECR_REQUEST_FAILED",
  /** ECR returned the same nextToken twice, or more pages than any repository can hold. */
  "ECR_PAGING_LOOP",
] as const;
export type EcrRetentionErrorCode = (typeof ECR_RETENTION_ERROR_CODES)[number];

/** What a retention call was about: the registry and, where there is one, the repository. */
export interface EcrRetentionTarget {
  registryId: string;
  repository?: string;
}

/**
 * A retention call (listing, inventory, deletion) that cannot go on, naming the operation, the
 * repository and what to fix. Per-image outcomes are results, never this error.
 */
export class EcrRetentionError extends Error {
  readonly code: EcrRetentionErrorCode;
  readonly operation: string;
  readonly registryId: string;
  readonly repository?: string;
  /** The AWS error name (AccessDeniedException, KmsException …) when the SDK threw one. */
  readonly awsError?: string;

  constructor(
    code: EcrRetentionErrorCode,
    operation: string,
    target: EcrRetentionTarget,
    detail: string,
    opts: { cause?: unknown; awsError?: string } = {},
  ) {
    const where = target.repository
      ? `repository ${target.repository} (registry ${target.registryId})`
      : `registry ${target.registryId}`;
    super(
      `ECR ${operation} failed for ${where}: ${detail}`,
      opts.cause === undefined ? undefined : { cause: opts.cause },
    );
    this.name = "EcrRetentionError";
    this.code = code;
    this.operation = operation;
    this.registryId = target.registryId;
    if (target.repository !== undefined) this.repository = target.repository;
    if (opts.awsError) this.awsError = opts.awsError;
  }
}

function hint(operation: string, name: string | undefined): string {
  if (name === "AccessDeniedException") {
    return ` (grant ecr:${operation} on the repository to the role running retention)`;
  }
  if (name === "KmsException") return " (check the repository's KMS key policy)";
  return "";
}

/** Wraps an SDK failure so the message says which call, which repository and what to check. */
export function ecrRetentionRequestFailed(
  operation: string,
  target: EcrRetentionTarget,
  err: unknown,
): EcrRetentionError {
  const name = awsErrorName(err);
  const message = err instanceof Error ? err.message : String(err);
  const detail = `${name && name !== "Error" ? `${name}: ` : ""}${message}${hint(operation, name)}`;
  return new EcrRetentionError("ECR_REQUEST_FAILED", operation, target, detail, {
    cause: err,
    ...(name ? { awsError: name } : {}),
  });
}

/** Follows nextTokens, refusing a token seen twice (it would page forever). */
export class PageTokens {
  private readonly seen = new Set<string>();
  private readonly operation: string;
  private readonly target: EcrRetentionTarget;

  constructor(operation: string, target: EcrRetentionTarget) {
    this.operation = operation;
    this.target = target;
  }

  /** The token to send next, or undefined at the end. */
  next(token: string | undefined): string | undefined {
    if (!token) return undefined;
    if (this.seen.has(token)) {
      throw new EcrRetentionError(
        "ECR_PAGING_LOOP",
        this.operation,
        this.target,
        "ECR returned the same nextToken twice",
      );
    }
    this.seen.add(token);
    return token;
  }
}
