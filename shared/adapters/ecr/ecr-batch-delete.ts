import { BatchDeleteImageCommand, type ECRClient, type ImageFailure } from "@aws-sdk/client-ecr";
import type { Log } from "../../ports.ts";
import type { DeletionResult } from "../../retention/retention-ports.ts";
import { HttpRetry, type HttpRetryOptions } from "../http-retry.ts";
import { awsErrorName, isAwsError } from "./ecr-errors.ts";
import { SHA256_DIGEST } from "./ecr-image-detail-artifact.ts";
import { ecrRetentionRequestFailed } from "./ecr-retention-errors.ts";

const OPERATION = "BatchDeleteImage";
/** The API's maximum imageIds per BatchDeleteImage call. */
export const DELETE_BATCH_SIZE = 100;

/**
 * Batch retries on top of the SDK's own (8 adaptive attempts, see retry-config.ts): a batch still
 * throttled after those waits seconds, not milliseconds, before it is tried again.
 */
export const DELETE_RETRY_DEFAULTS: HttpRetryOptions = {
  maxAttempts: 4,
  baseDelayMs: 2_000,
  maxDelayMs: 30_000,
};

const THROTTLING = new Set([
  "ThrottlingException",
  "TooManyRequestsException",
  "Throttling",
  "ServerException",
  "ServiceUnavailableException",
  "InternalFailure",
]);

/**
 * Nothing can be deleted with these (credentials, permissions): thrown, naming the fix, rather
 * than reported digest by digest.
 */
const FATAL = new Set([
  "AccessDeniedException",
  "UnrecognizedClientException",
  "InvalidSignatureException",
  "ExpiredTokenException",
  "InvalidClientTokenId",
  "MissingAuthenticationToken",
  "CredentialsProviderError",
]);

export interface BatchDeleteOptions {
  registryId: string;
  retry?: HttpRetryOptions;
  log?: Log;
  /** Called once per distinct digest, in input order, as soon as its outcome is known. */
  onResult?: (result: DeletionResult) => void;
}

/**
 * Deletes manifests by digest with BatchDeleteImage, in batches of at most 100 that keep the
 * caller's order (parents before children), one batch finished before the next starts. Per-image
 * failures come from `failures[]`: ImageNotFound is "already-gone", any other code "failed". A
 * batch throttled or failing server-side is retried whole with exponential backoff and jitter;
 * a batch that still fails is reported failed, and later batches are not sent (they may hold the
 * children or referrers of what it failed to delete): a rerun continues. Each digest is sent at
 * most once per attempt and never again once ECR answered for it. One result per input digest,
 * same order; a digest listed twice is deleted once and both entries share its result.
 */
export async function deleteEcrManifests(
  client: ECRClient,
  repository: string,
  digests: readonly string[],
  opts: BatchDeleteOptions,
): Promise<DeletionResult[]> {
  const retry = new HttpRetry({ ...DELETE_RETRY_DEFAULTS, ...opts.retry });
  const target = { registryId: opts.registryId, repository };
  const unique = [...new Set(digests)];
  const results = new Map<string, DeletionResult>();
  const settle = (r: DeletionResult) => {
    results.set(r.digest, r);
    opts.onResult?.(r);
  };
  let stopped: { code: string; message: string } | undefined;
  let repositoryGone = false;

  for (let start = 0; start < unique.length; start += DELETE_BATCH_SIZE) {
    const batch = unique.slice(start, start + DELETE_BATCH_SIZE);
    if (stopped) {
      for (const digest of batch) {
        settle({ digest, outcome: "failed", code: "NOT_ATTEMPTED", message: stopped.message });
      }
      continue;
    }
    const valid = batch.filter((d) => SHA256_DIGEST.test(d));
    // A repository found gone stays gone: later batches need no call to say so.
    const answer: BatchAnswer =
      valid.length === 0
        ? { deleted: new Set(), failures: new Map() }
        : repositoryGone
          ? { gone: true }
          : await sendBatch(client, target, valid, retry, opts.log);
    if ("gone" in answer) repositoryGone = true;
    if ("error" in answer) {
      stopped = {
        code: answer.error.code,
        message: `not sent: an earlier batch failed (${answer.error.code}); rerun to continue`,
      };
    }
    for (const digest of batch) {
      if (!SHA256_DIGEST.test(digest)) {
        settle({
          digest,
          outcome: "failed",
          code: "InvalidImageDigest",
          message: "not a sha256 digest; nothing was sent for it",
        });
      } else if ("gone" in answer) {
        settle({ digest, outcome: "already-gone" });
      } else if ("error" in answer) {
        settle({ digest, outcome: "failed", ...answer.error });
      } else {
        settle(outcomeOf(digest, answer));
      }
    }
  }
  return digests.map((d) => results.get(d) as DeletionResult);
}

type BatchAnswer =
  | { deleted: Set<string>; failures: Map<string, ImageFailure> }
  | { gone: true }
  | { error: { code: string; message: string } };

async function sendBatch(
  client: ECRClient,
  target: { registryId: string; repository: string },
  digests: string[],
  retry: HttpRetry,
  log: Log | undefined,
): Promise<BatchAnswer> {
  for (let attempt = 1; ; attempt++) {
    try {
      const out = await client.send(
        new BatchDeleteImageCommand({
          registryId: target.registryId,
          repositoryName: target.repository,
          imageIds: digests.map((imageDigest) => ({ imageDigest })),
        }),
      );
      const deleted = new Set<string>();
      for (const id of out.imageIds ?? []) if (id.imageDigest) deleted.add(id.imageDigest);
      const failures = new Map<string, ImageFailure>();
      for (const f of out.failures ?? []) {
        if (f.imageId?.imageDigest) failures.set(f.imageId.imageDigest, f);
      }
      return { deleted, failures };
    } catch (err) {
      if (isAwsError(err, "RepositoryNotFoundException")) return { gone: true };
      const name = awsErrorName(err) ?? "Error";
      if (isFatal(err)) throw ecrRetentionRequestFailed(OPERATION, target, err);
      const message = err instanceof Error ? err.message : String(err);
      if (!isRetryable(err)) return { error: { code: name, message } };
      if (attempt >= retry.maxAttempts) {
        return {
          error: {
            code: name,
            message: `${message} (still failing after ${attempt} attempts of the whole batch)`,
          },
        };
      }
      log?.warn("retention: BatchDeleteImage throttled or failed server-side; retrying the batch", {
        repository: target.repository,
        attempt,
        error: name,
        digests: digests.length,
      });
      await retry.wait(attempt);
    }
  }
}

function outcomeOf(
  digest: string,
  answer: { deleted: Set<string>; failures: Map<string, ImageFailure> },
): DeletionResult {
  const failure = answer.failures.get(digest);
  if (failure) {
    if (failure.failureCode === "ImageNotFound") return { digest, outcome: "already-gone" };
    return {
      digest,
      outcome: "failed",
      code: failure.failureCode ?? "UNKNOWN",
      message: failure.failureReason ?? "no reason given",
    };
  }
  if (answer.deleted.has(digest)) return { digest, outcome: "deleted" };
  return {
    digest,
    outcome: "failed",
    code: "NO_ANSWER",
    message: "ECR reported neither a deletion nor a failure for this digest",
  };
}

function statusOf(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
}

/** Set on every error the service answered with ("client" or "server"); absent on network errors. */
function faultOf(err: unknown): string | undefined {
  return (err as { $fault?: string } | null)?.$fault;
}

function isRetryable(err: unknown): boolean {
  const status = statusOf(err);
  return (
    THROTTLING.has(awsErrorName(err) ?? "") ||
    status === 429 ||
    (status !== undefined && status >= 500) ||
    faultOf(err) === "server"
  );
}

/** Credentials and permissions, or no answer from ECR at all (unreachable after the SDK's retries). */
function isFatal(err: unknown): boolean {
  return FATAL.has(awsErrorName(err) ?? "") || (!isRetryable(err) && faultOf(err) === undefined);
}
