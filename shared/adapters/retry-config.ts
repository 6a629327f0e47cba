import type { ECRClientConfig } from "@aws-sdk/client-ecr";

/**
 * Attempts per AWS call, the first included. ECR's Describe/List/Delete quotas are low and not
 * published, so a burst of pushes can throttle us for several seconds: 8 attempts with the SDK's
 * exponential backoff ride that out, and a call that still fails surfaces (the Lambda is then
 * retried by its event source and finally lands in the dead-letter queue).
 */
export const AWS_MAX_ATTEMPTS = 8;

/** The SDK's retry-strategy type (the same for every v3 client). */
export type AwsRetryStrategy = NonNullable<ECRClientConfig["retryStrategy"]>;

export interface AwsClientOptions {
  region?: string;
  maxAttempts?: number;
  /**
   * Replaces the SDK's adaptive strategy altogether (maxAttempts is then the strategy's own).
   * Production code leaves it unset.
   */
  retryStrategy?: AwsRetryStrategy;
}

export interface AwsClientConfig {
  region?: string;
  maxAttempts: number;
  retryMode: "adaptive";
  retryStrategy?: AwsRetryStrategy;
}

/**
 * The config every AWS client of registry-guard is built with (ECR, SNS, DynamoDB). "adaptive"
 * is the SDK's standard mode — exponential backoff with jitter, a retry quota, THROTTLING errors
 * (ThrottlingException, TooManyRequestsException, HTTP 429) retried with a longer base delay —
 * plus client-side rate limiting that slows the whole container once the service throttles.
 */
export function awsClientConfig(opts: AwsClientOptions = {}): AwsClientConfig {
  return {
    ...(opts.region ? { region: opts.region } : {}),
    maxAttempts: opts.maxAttempts ?? AWS_MAX_ATTEMPTS,
    retryMode: "adaptive",
    ...(opts.retryStrategy ? { retryStrategy: opts.retryStrategy } : {}),
  };
}

/** The ECRClient's config (one client per Lambda container). */
export function ecrClientConfig(opts: AwsClientOptions = {}): ECRClientConfig {
  return awsClientConfig(opts);
}
