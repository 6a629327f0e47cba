/** Retry settings shared by registry-guard's own HTTP clients (OCI registries, Harbor's API). */
export interface HttpRetryOptions {
  /** Attempts per request, the first included. Default 4. */
  maxAttempts?: number;
  /** First backoff delay; doubles per retry up to maxDelayMs (default 200 ms and 5 s). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Test seams. */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

/** A Retry-After beyond this is not waited out in-process: the caller's own retry takes over. */
const MAX_RETRY_AFTER_MS = 30_000;

/** Exponential backoff with jitter, never under a server's Retry-After (capped). */
export class HttpRetry {
  readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;

  constructor(opts: HttpRetryOptions = {}) {
    this.maxAttempts = Math.max(1, opts.maxAttempts ?? 4);
    this.baseDelayMs = opts.baseDelayMs ?? 200;
    this.maxDelayMs = opts.maxDelayMs ?? 5_000;
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.random = opts.random ?? Math.random;
  }

  /** Half fixed, half random, so clients retrying together spread out. */
  delay(attempt: number, retryAfter?: string | null): number {
    const exp = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (attempt - 1));
    const jittered = exp / 2 + (this.random() * exp) / 2;
    const asked = parseRetryAfter(retryAfter);
    return asked === undefined ? jittered : Math.max(jittered, Math.min(asked, MAX_RETRY_AFTER_MS));
  }

  /** Waits before the attempt after `attempt`. */
  wait(attempt: number, retryAfter?: string | null): Promise<void> {
    return this.sleep(this.delay(attempt, retryAfter));
  }
}

/** Retry-After in milliseconds: delta-seconds or an HTTP date; undefined when absent or junk. */
export function parseRetryAfter(
  value: string | null | undefined,
  now = Date.now(),
): number | undefined {
  if (value === null || value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
