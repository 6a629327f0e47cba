import { HttpRetry, type HttpRetryOptions } from "../http-retry.ts";
import { type CaFetch, caFetch, type HarborFetch } from "./harbor-ca-fetch.ts";
import { HarborApiError, type HarborApiErrorCode, type HarborTarget } from "./harbor-errors.ts";

/** A Harbor user or robot account (`robot$project+name`) and its password or secret. */
export interface HarborAuth {
  username: string;
  password: string;
}

export interface HarborHttpOptions extends HttpRetryOptions {
  /** Harbor's URL, `https://harbor.example.com` (`/api/v2.0` is added unless already there). */
  baseUrl: string;
  /** Basic credentials; without them only public projects can be read. */
  auth?: HarborAuth;
  /** Defaults to the global fetch. Cannot be combined with `ca`. */
  fetch?: HarborFetch;
  /** PEM certificate(s) of Harbor's CA, trusted in addition to Node's bundled roots. */
  ca?: string | readonly string[];
  /** Time allowed per attempt, answer body included. Default 30 s. */
  timeoutMs?: number;
}

/** One GET below `/api/v2.0`. */
export interface HarborCall {
  /** Named in errors, e.g. "GetArtifact". */
  operation: string;
  target: Omit<HarborTarget, "host">;
  /** Path and query below `/api/v2.0`, already encoded. */
  path: string;
  headers?: Record<string, string>;
  /** Larger 2xx answers fail (HARBOR_INVALID_RESPONSE). */
  maxBodyBytes: number;
}

export interface HarborResponse {
  status: number;
  headers: Headers;
  body: Buffer;
  /** Harbor's `X-Request-Id` for the answer. */
  requestId?: string;
}

const API_PATH = "/api/v2.0";
/** Error answers are read only this far: enough for Harbor's `errors[]`. */
const ERROR_BODY_BYTES = 64 * 1024;
/** Secrets shorter than this are not scrubbed from text (it would mangle every message). */
const MIN_REDACTED_LENGTH = 6;

const TLS_CODES = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "EPROTO",
]);

/** Throttling and transient server faults. 501 and 505 say "never", so they are not retried. */
function isRetryableStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status !== 501 && status !== 505);
}

/** The error code of `err` or of its cause (fetch wraps socket errors in a TypeError). */
function errCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

function isTlsError(err: unknown): boolean {
  const code = errCode(err);
  return (
    code !== undefined &&
    (TLS_CODES.has(code) || code.startsWith("ERR_TLS_") || code.startsWith("ERR_SSL_"))
  );
}

class BodyTooLarge extends Error {}

/**
 * Harbor's API over fetch: the base URL, Basic authentication, a timeout per attempt, bounded
 * retries with exponential backoff and jitter on 429/5xx and network failures (honouring
 * Retry-After), and bounded answer sizes. Redirects are not followed, so credentials never
 * travel to another origin. Statuses are returned, never thrown: the caller decides what a 404
 * means; what no caller can use (no answer, a TLS failure) is thrown as HarborApiError.
 */
export class HarborHttp {
  /** host[:port]. */
  readonly host: string;
  /** `…/api/v2.0`, without a trailing slash. */
  readonly apiRoot: string;
  readonly username: string | undefined;
  private readonly authorization: string | undefined;
  private readonly secrets: string[];
  private readonly fetchFn: HarborFetch;
  private readonly owned: CaFetch | undefined;
  private readonly timeoutMs: number;
  private readonly retry: HttpRetry;

  constructor(opts: HarborHttpOptions) {
    const base = parseBaseUrl(opts.baseUrl);
    this.host = base.host;
    const path = base.pathname.replace(/\/+$/, "");
    this.apiRoot = `${base.origin}${path.endsWith(API_PATH) ? path : `${path}${API_PATH}`}`;
    if (opts.fetch && opts.ca !== undefined) {
      throw configError(
        this.host,
        "give either `fetch` or `ca`: a CA certificate cannot be applied to a fetch function passed in",
      );
    }
    this.owned = opts.ca !== undefined ? caFetch(opts.ca) : undefined;
    this.fetchFn = opts.fetch ?? this.owned ?? ((url, init) => fetch(url, init));
    if (opts.auth) {
      if (!opts.auth.username || opts.auth.username.includes(":")) {
        throw configError(this.host, "auth.username must be non-empty and contain no colon");
      }
      const basic = Buffer.from(`${opts.auth.username}:${opts.auth.password}`, "utf8").toString(
        "base64",
      );
      this.authorization = `Basic ${basic}`;
      this.username = opts.auth.username;
      this.secrets = [opts.auth.password, basic].filter((s) => s.length >= MIN_REDACTED_LENGTH);
    } else {
      this.secrets = [];
    }
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.retry = new HttpRetry(opts);
  }

  /** One GET, retried while Harbor is unavailable. */
  async get(call: HarborCall): Promise<HarborResponse> {
    const url = `${this.apiRoot}${call.path}`;
    const headers: Record<string, string> = { accept: "application/json", ...call.headers };
    if (this.authorization) headers.authorization = this.authorization;
    for (let attempt = 1; ; attempt++) {
      let res: HarborResponse;
      try {
        res = await this.once(url, headers, call.maxBodyBytes);
      } catch (err) {
        if (err instanceof BodyTooLarge) {
          throw this.error("HARBOR_INVALID_RESPONSE", call, err.message, { cause: err });
        }
        if (isTlsError(err)) {
          throw this.error(
            "HARBOR_TLS_FAILED",
            call,
            `TLS with ${this.host} failed (${errCode(err)}): give the client Harbor's CA certificate (ca), or fix the certificate's host names`,
            { cause: err },
          );
        }
        if (attempt >= this.retry.maxAttempts) {
          const why =
            err instanceof Error && err.name === "TimeoutError"
              ? `no answer within ${this.timeoutMs} ms`
              : (errCode(err) ?? (err instanceof Error ? err.message : String(err)));
          throw this.error(
            "HARBOR_UNREACHABLE",
            call,
            `no answer from ${this.host} after ${attempt} attempt(s): ${why}`,
            { cause: err },
          );
        }
        await this.retry.wait(attempt);
        continue;
      }
      if (!isRetryableStatus(res.status) || attempt >= this.retry.maxAttempts) return res;
      await this.retry.wait(attempt, res.headers.get("retry-after"));
    }
  }

  /** A HarborApiError for `call`, with every known secret scrubbed from the detail. */
  error(
    code: HarborApiErrorCode,
    call: Pick<HarborCall, "operation" | "target">,
    detail: string,
    opts: { cause?: unknown; status?: number; requestId?: string } = {},
  ): HarborApiError {
    return new HarborApiError(
      code,
      call.operation,
      { host: this.host, ...call.target },
      this.redact(detail),
      opts,
    );
  }

  /** `text` with the password and the Basic value replaced by `***`. */
  redact(text: string): string {
    let out = text;
    for (const s of this.secrets) out = out.split(s).join("***");
    return out;
  }

  /** Closes the sockets of the CA fetch this client made (nothing to do for the global fetch). */
  close(): void {
    this.owned?.close();
  }

  private async once(
    url: string,
    headers: Record<string, string>,
    maxBodyBytes: number,
  ): Promise<HarborResponse> {
    const res = await this.fetchFn(url, {
      method: "GET",
      headers,
      redirect: "manual",
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const ok = res.status >= 200 && res.status < 300;
    const body = ok
      ? await readBody(res, maxBodyBytes, false)
      : await readBody(res, ERROR_BODY_BYTES, true);
    const requestId = res.headers.get("x-request-id") ?? undefined;
    return { status: res.status, headers: res.headers, body, ...(requestId ? { requestId } : {}) };
  }
}

function configError(host: string, detail: string): HarborApiError {
  return new HarborApiError("HARBOR_INVALID_CONFIG", "Configure", { host }, detail);
}

function parseBaseUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    // Not echoed: a malformed URL may still hold a secret.
    throw configError("(no host)", "baseUrl is not a URL: give https://<harbor host>");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw configError(url.host || "(no host)", `baseUrl must be http(s), not ${url.protocol}`);
  }
  if (url.username || url.password) {
    throw configError(url.host, "baseUrl must not carry credentials: pass them as auth");
  }
  if (url.search || url.hash) {
    throw configError(url.host, "baseUrl must not have a query or fragment");
  }
  return url;
}

/**
 * The answer's body, at most `limit` bytes: beyond it a success fails (BodyTooLarge) and an
 * error answer is cut (only its first bytes are ever quoted).
 */
async function readBody(res: Response, limit: number, truncate: boolean): Promise<Buffer> {
  const declared = Number(res.headers.get("content-length"));
  if (!truncate && Number.isFinite(declared) && declared > limit) {
    await res.body?.cancel().catch(() => {});
    throw new BodyTooLarge(`Harbor's answer is ${declared} bytes, more than the ${limit} allowed`);
  }
  if (!res.body) return Buffer.alloc(0);
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      if (truncate) {
        chunks.push(value.subarray(0, value.byteLength - (size - limit)));
        break;
      }
      throw new BodyTooLarge(`Harbor's answer is larger than the ${limit} bytes allowed`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}
