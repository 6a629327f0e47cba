import http, { type IncomingHttpHeaders } from "node:http";
import https from "node:https";
import { Readable } from "node:stream";
import { rootCertificates } from "node:tls";
import { HttpRetry, type HttpRetryOptions } from "../http-retry.ts";

// node:http rather than fetch: Node's built-in fetch cannot be given a CA bundle per client
// without the `undici` package (not a dependency here), and private registries often have one.

export type HttpMethod = "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE";

export interface HttpRequest {
  method: HttpMethod;
  url: URL;
  headers?: Record<string, string>;
  /** A buffer is sent again on a retry; a stream cannot be, so a request with one is tried once. */
  body?: Buffer | Readable;
  /** Larger responses fail (OCI_INVALID_RESPONSE): a registry is not trusted to bound them. */
  maxBodyBytes?: number;
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** Where the answer came from, after redirects. */
  url: URL;
}

/** A streamed answer: `stream` for a 2xx (the caller must consume or destroy it), else `body`. */
export type HttpStreamResponse = Omit<HttpResponse, "body"> &
  ({ stream: Readable; body?: undefined } | { stream?: undefined; body: Buffer });

export interface HttpClientOptions extends HttpRetryOptions {
  /** PEM certificate(s) trusted in addition to Node's bundled roots (a private registry's CA). */
  ca?: string | string[];
  /** Idle time allowed on a socket before an attempt fails. Default 30 s. */
  timeoutMs?: number;
}

export type HttpTransportErrorCode = "OCI_UNREACHABLE" | "OCI_TLS_FAILED" | "OCI_INVALID_RESPONSE";

/** The request got no usable answer. The OCI client wraps it with the operation's context. */
export class HttpTransportError extends Error {
  readonly code: HttpTransportErrorCode;
  readonly attempts: number;

  constructor(code: HttpTransportErrorCode, message: string, attempts: number, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = "HttpTransportError";
    this.code = code;
    this.attempts = attempts;
  }
}

export const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;
const MAX_REDIRECTS = 5;
const ERROR_BODY_BYTES = 64 * 1024;

/** Throttling and transient server faults. 501 and 505 say "never", so they are not retried. */
function isRetryableStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status !== 501 && status !== 505);
}

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

function errCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === "string" ? code : undefined;
}

function isTlsError(err: unknown): boolean {
  const code = errCode(err);
  return (
    code !== undefined &&
    (TLS_CODES.has(code) || code.startsWith("ERR_TLS_") || code.startsWith("ERR_SSL_"))
  );
}

class AttemptTimeout extends Error {
  readonly code = "ETIMEDOUT";
}

class BodyTooLarge extends Error {}

type Attempt =
  | { kind: "buffered"; res: HttpResponse }
  | { kind: "streamed"; res: HttpStreamResponse };

/**
 * A small HTTP client for registry APIs: TLS with an extra CA, an idle timeout per attempt,
 * bounded retries with exponential backoff and jitter on 429/5xx and network failures (honouring
 * Retry-After), and redirects for GET/HEAD (blob storage answers with 307 to a signed URL) that
 * drop the Authorization header when they leave the registry's origin.
 */
export class OciHttpClient {
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;
  private readonly timeoutMs: number;
  private readonly retry: HttpRetry;

  constructor(opts: HttpClientOptions = {}) {
    const extra = opts.ca === undefined ? [] : Array.isArray(opts.ca) ? opts.ca : [opts.ca];
    this.httpAgent = new http.Agent({ keepAlive: true });
    this.httpsAgent = new https.Agent({
      keepAlive: true,
      ...(extra.length > 0 ? { ca: [...rootCertificates, ...extra] } : {}),
    });
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.retry = new HttpRetry(opts);
  }

  /** The whole answer in memory. Statuses are returned, never thrown: the caller decides. */
  async send(req: HttpRequest): Promise<HttpResponse> {
    const a = await this.run(req, false);
    if (a.kind !== "buffered") throw new Error("unreachable: buffered request answered streamed");
    return a.res;
  }

  /** The answer's body as a stream (blob copies); error answers are buffered as with send. */
  async open(req: HttpRequest): Promise<HttpStreamResponse> {
    const a = await this.run(req, true);
    return a.res;
  }

  /** Closes kept-alive sockets. */
  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  private async run(req: HttpRequest, stream: boolean): Promise<Attempt> {
    let current = req;
    for (let hop = 0; ; hop++) {
      const a = await this.withRetries(current, stream);
      const location = a.res.headers.location;
      const redirect =
        [301, 302, 303, 307, 308].includes(a.res.status) &&
        (current.method === "GET" || current.method === "HEAD") &&
        typeof location === "string";
      if (!redirect) return a;
      if (a.kind === "streamed") a.res.stream?.destroy();
      if (hop >= MAX_REDIRECTS) {
        throw new HttpTransportError(
          "OCI_INVALID_RESPONSE",
          `more than ${MAX_REDIRECTS} redirects from ${req.url.origin}${req.url.pathname}`,
          1,
        );
      }
      const next = new URL(location, current.url);
      const headers = { ...current.headers };
      // A signed storage URL must not receive the registry's credentials.
      if (next.origin !== current.url.origin) delete headers.authorization;
      current = { ...current, url: next, headers };
    }
  }

  private async withRetries(req: HttpRequest, stream: boolean): Promise<Attempt> {
    const retryable = !(req.body instanceof Readable);
    const attempts = retryable ? this.retry.maxAttempts : 1;
    for (let attempt = 1; ; attempt++) {
      let a: Attempt;
      try {
        a = await this.once(req, stream);
      } catch (err) {
        if (err instanceof BodyTooLarge) {
          throw new HttpTransportError("OCI_INVALID_RESPONSE", err.message, attempt, err);
        }
        if (isTlsError(err)) {
          throw new HttpTransportError(
            "OCI_TLS_FAILED",
            `TLS with ${req.url.host} failed (${errCode(err)}): give the adapter the registry's CA certificate, or fix the certificate's host names`,
            attempt,
            err,
          );
        }
        if (attempt >= attempts) {
          const what = err instanceof Error ? err.message : String(err);
          throw new HttpTransportError(
            "OCI_UNREACHABLE",
            `no answer from ${req.url.host} for ${req.method} ${req.url.pathname} after ${attempt} attempt(s): ${errCode(err) ?? what}`,
            attempt,
            err,
          );
        }
        await this.retry.wait(attempt);
        continue;
      }
      if (!isRetryableStatus(a.res.status) || attempt >= attempts) return a;
      if (a.kind === "streamed") a.res.stream?.destroy();
      await this.retry.wait(attempt, a.res.headers["retry-after"]);
    }
  }

  private once(req: HttpRequest, stream: boolean): Promise<Attempt> {
    return new Promise<Attempt>((resolve, reject) => {
      const headers: Record<string, string> = { ...req.headers };
      if (Buffer.isBuffer(req.body)) headers["content-length"] = String(req.body.length);
      else if (req.body === undefined && ["POST", "PUT", "PATCH"].includes(req.method)) {
        headers["content-length"] = "0";
      }
      const secure = req.url.protocol === "https:";
      const send = secure ? https.request : http.request;
      const r = send(
        req.url,
        { method: req.method, headers, agent: secure ? this.httpsAgent : this.httpAgent },
        (res) => {
          const base = { status: res.statusCode ?? 0, headers: res.headers, url: req.url };
          const ok = base.status >= 200 && base.status < 300;
          if (stream && ok) {
            resolve({ kind: "streamed", res: { ...base, stream: res } });
            return;
          }
          const limit = stream ? ERROR_BODY_BYTES : (req.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES);
          const chunks: Buffer[] = [];
          let size = 0;
          res.on("data", (chunk: Buffer) => {
            size += chunk.length;
            if (size > limit) {
              res.destroy();
              reject(
                new BodyTooLarge(
                  `the answer to ${req.method} ${req.url.pathname} is larger than ${limit} bytes`,
                ),
              );
              return;
            }
            chunks.push(chunk);
          });
          res.on("end", () => {
            const body = Buffer.concat(chunks);
            resolve(
              stream
                ? { kind: "streamed", res: { ...base, body } }
                : { kind: "buffered", res: { ...base, body } },
            );
          });
          res.on("error", reject);
        },
      );
      r.setTimeout(this.timeoutMs, () => {
        r.destroy(new AttemptTimeout(`no data for ${this.timeoutMs} ms`));
      });
      r.on("error", reject);
      if (req.body instanceof Readable) {
        req.body.on("error", (err) => r.destroy(err));
        req.body.pipe(r);
      } else {
        r.end(req.body);
      }
    });
  }
}
