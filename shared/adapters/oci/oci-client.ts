import { Readable } from "node:stream";
import { OciAuth, type OciCredentials } from "./oci-auth.ts";
import {
  OciRegistryError,
  type OciRegistryErrorCode,
  type OciTarget,
  registryErrorSummary,
} from "./oci-errors.ts";
import {
  type HttpClientOptions,
  type HttpMethod,
  type HttpResponse,
  type HttpStreamResponse,
  HttpTransportError,
  OciHttpClient,
} from "./oci-http-client.ts";

export interface OciClientOptions {
  /** The registry's base URL: `https://registry.example.com`, or `http://127.0.0.1:5000` locally. */
  url: string;
  credentials?: OciCredentials;
  /** PEM certificate(s) of the registry's CA, trusted in addition to Node's roots. */
  ca?: string | string[];
  /** Timeouts, retries and test seams of the HTTP layer. */
  http?: Omit<HttpClientOptions, "ca">;
  /** Milliseconds since the epoch (token expiry). */
  now?: () => number;
}

/** One registry API call. */
export interface OciCall {
  /** Named in errors, e.g. "GetManifest". */
  operation: string;
  target: Omit<OciTarget, "registry">;
  method: HttpMethod;
  /** `/v2/…` (query included), or an absolute URL the registry handed out (upload Location). */
  path: string;
  /** Token scopes the call needs (`repository:app:pull`). */
  scopes: string[];
  headers?: Record<string, string>;
  body?: Buffer | Readable;
  maxBodyBytes?: number;
}

/**
 * One registry: its base URL, its HTTP transport and its authentication. Calls return every
 * status to the caller (a 404 means different things to different operations); what no caller
 * can use is thrown as OciRegistryError: no answer, TLS failure, 401 after authenticating, 403.
 * Every error leaving the client has the known secrets scrubbed from its message.
 */
export class OciClient {
  /** host[:port]: the ImageRef's registryId for this registry. */
  readonly registryId: string;
  readonly baseUrl: URL;
  readonly auth: OciAuth;
  private readonly http: OciHttpClient;

  constructor(opts: OciClientOptions) {
    let base: URL;
    try {
      base = new URL(opts.url);
    } catch {
      throw new OciRegistryError(
        "OCI_INVALID_CONFIG",
        "Configure",
        { registry: String(opts.url) },
        "the registry URL does not parse; write it as https://host[:port]",
      );
    }
    if (base.protocol !== "https:" && base.protocol !== "http:") {
      throw new OciRegistryError(
        "OCI_INVALID_CONFIG",
        "Configure",
        { registry: base.host || String(opts.url) },
        `the registry URL must be http(s), not ${base.protocol}`,
      );
    }
    this.baseUrl = new URL(base.origin);
    this.registryId = base.host;
    this.http = new OciHttpClient({ ...opts.http, ...(opts.ca ? { ca: opts.ca } : {}) });
    this.auth = new OciAuth({
      registry: this.registryId,
      registryUrl: this.baseUrl,
      http: this.http,
      ...(opts.credentials ? { credentials: opts.credentials } : {}),
      ...(opts.now ? { now: opts.now } : {}),
    });
  }

  target(t: Omit<OciTarget, "registry">): OciTarget {
    return { registry: this.registryId, ...t };
  }

  async send(call: OciCall): Promise<HttpResponse> {
    return (await this.call(call, false)) as HttpResponse;
  }

  /** Like send, with a 2xx body streamed (blob copies). */
  async open(call: OciCall): Promise<HttpStreamResponse> {
    return this.call(call, true);
  }

  close(): void {
    this.http.close();
  }

  /** The error, its message scrubbed of every secret this client knows. */
  scrub<E extends Error>(err: E): E {
    err.message = this.auth.redact(err.message);
    return err;
  }

  private async call(call: OciCall, stream: boolean): Promise<HttpStreamResponse> {
    let res: HttpStreamResponse;
    try {
      res = await this.authorized(call, stream);
    } catch (err) {
      throw this.scrub(this.wrap(call, err));
    }
    // Error bodies end up quoted in messages; a proxy may echo request headers into them.
    if (res.body && (res.status < 200 || res.status >= 300)) {
      return { ...res, body: Buffer.from(this.auth.redact(res.body.toString("utf8"))) };
    }
    return res;
  }

  private async authorized(call: OciCall, stream: boolean): Promise<HttpStreamResponse> {
    const url = new URL(call.path, this.baseUrl);
    // Credentials stay on the registry's origin.
    const ours = url.origin === this.baseUrl.origin;
    let sent = ours ? await this.auth.headerFor(call.scopes) : undefined;
    let res = await this.once(call, url, sent, stream);
    if (res.status === 401 && ours) {
      if (call.body instanceof Readable) {
        throw this.fail(call, "OCI_AUTH_FAILED", "a streamed upload was refused (HTTP 401)", 401);
      }
      const outcome = await this.auth.onChallenge(
        header(res.headers["www-authenticate"]),
        call.scopes,
        sent,
      );
      if (!outcome.retry) throw this.fail(call, "OCI_AUTH_FAILED", outcome.reason, 401);
      sent = await this.auth.headerFor(call.scopes);
      res = await this.once(call, url, sent, stream);
      if (res.status === 401) {
        throw this.fail(call, "OCI_AUTH_FAILED", this.auth.refusal(call.scopes), 401);
      }
    }
    if (res.status === 403) {
      const summary = registryErrorSummary(res.body);
      throw this.fail(
        call,
        "OCI_ACCESS_DENIED",
        `HTTP 403${summary ? ` (${summary})` : ""}: grant ${call.scopes.join(" ") || "access"} to the configured user`,
        403,
      );
    }
    return res;
  }

  private async once(
    call: OciCall,
    url: URL,
    authorization: string | undefined,
    stream: boolean,
  ): Promise<HttpStreamResponse> {
    const req = {
      method: call.method,
      url,
      headers: { ...call.headers, ...(authorization ? { authorization } : {}) },
      ...(call.body !== undefined ? { body: call.body } : {}),
      ...(call.maxBodyBytes !== undefined ? { maxBodyBytes: call.maxBodyBytes } : {}),
    };
    return stream ? this.http.open(req) : this.http.send(req);
  }

  private fail(
    call: OciCall,
    code: OciRegistryErrorCode,
    detail: string,
    status?: number,
  ): OciRegistryError {
    return new OciRegistryError(code, call.operation, this.target(call.target), detail, {
      ...(status !== undefined ? { status } : {}),
    });
  }

  private wrap(call: OciCall, err: unknown): Error {
    if (err instanceof OciRegistryError) return err;
    if (err instanceof HttpTransportError) {
      return new OciRegistryError(err.code, call.operation, this.target(call.target), err.message, {
        cause: err,
      });
    }
    const msg = err instanceof Error ? err.message : String(err);
    return new OciRegistryError("OCI_UNREACHABLE", call.operation, this.target(call.target), msg, {
      cause: err,
    });
  }
}

/** A header's value, the first when repeated. */
export function header(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
