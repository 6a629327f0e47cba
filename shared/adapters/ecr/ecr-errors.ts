import type { ImageRef } from "../../domain/image.ts";

export { DigestMismatchError } from "../../domain/digest-mismatch-error.ts";

export const ECR_REGISTRY_ERROR_CODES = [
  /** An ECR call failed (after the SDK's retries): permissions, KMS, a service fault … */
  "ECR_REQUEST_FAILED",
  /** The image (or its repository) is gone, for an operation that needs it. */
  "ECR_IMAGE_NOT_FOUND",
  /** BatchGetImage returned no manifest for an image ECR says is active. */
  "ECR_MANIFEST_UNAVAILABLE",
  /** ECR refused the storage-class change (e.g. an image still being restored). */
  "ECR_STORAGE_CLASS_REJECTED",
  /** The ImageRef does not address an ECR image. */
  "ECR_WRONG_REGISTRY",
] as const;
export type EcrRegistryErrorCode = (typeof ECR_REGISTRY_ERROR_CODES)[number];

/** A failed ECR operation, naming the operation, repository, digest and what to check. */
export class EcrRegistryError extends Error {
  readonly code: EcrRegistryErrorCode;
  readonly operation: string;
  readonly repository: string;
  readonly digest: string;
  /** The AWS error name (AccessDeniedException, ServerException …) when the SDK threw one. */
  readonly awsError?: string;

  constructor(
    code: EcrRegistryErrorCode,
    operation: string,
    ref: Pick<ImageRef, "repository" | "digest" | "registryId">,
    detail: string,
    opts: { cause?: unknown; awsError?: string } = {},
  ) {
    super(
      `ECR ${operation} failed for ${ref.repository}@${ref.digest} (registry ${ref.registryId}): ${detail}`,
      opts.cause === undefined ? undefined : { cause: opts.cause },
    );
    this.name = "EcrRegistryError";
    this.code = code;
    this.operation = operation;
    this.repository = ref.repository;
    this.digest = ref.digest;
    if (opts.awsError) this.awsError = opts.awsError;
  }
}

/** The SDK's error name (the AWS error code, e.g. ImageNotFoundException), if `err` has one. */
export function awsErrorName(err: unknown): string | undefined {
  return err instanceof Error ? err.name : undefined;
}

export function isAwsError(err: unknown, ...names: string[]): boolean {
  const name = awsErrorName(err);
  return name !== undefined && names.includes(name);
}

const THROTTLING = new Set(["ThrottlingException", "TooManyRequestsException", "Throttling"]);

function hint(operation: string, name: string | undefined): string {
  if (name === "AccessDeniedException") {
    return ` (grant ecr:${operation} on the repository to the function's role)`;
  }
  if (name !== undefined && THROTTLING.has(name)) {
    return " (still throttled after every SDK retry; the event is retried later)";
  }
  if (name === "KmsException") return " (check the repository's KMS key policy)";
  return "";
}

/** Wraps an SDK failure so the message says which call, which image and what to check. */
export function ecrRequestFailed(
  operation: string,
  ref: Pick<ImageRef, "repository" | "digest" | "registryId">,
  err: unknown,
): EcrRegistryError {
  const name = awsErrorName(err);
  const message = err instanceof Error ? err.message : String(err);
  const detail = `${name && name !== "Error" ? `${name}: ` : ""}${message}${hint(operation, name)}`;
  return new EcrRegistryError("ECR_REQUEST_FAILED", operation, ref, detail, {
    cause: err,
    ...(name ? { awsError: name } : {}),
  });
}
