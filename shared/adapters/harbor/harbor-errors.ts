export const HARBOR_API_ERROR_CODES = [
  /** Harbor refused the credentials, or needs some (HTTP 401). */
  "HARBOR_AUTH_FAILED",
  /** Authenticated, but the account lacks a permission (HTTP 403). */
  "HARBOR_ACCESS_DENIED",
  /** Harbor answered with a status the operation cannot use (5xx after retries, a redirect …). */
  "HARBOR_REQUEST_FAILED",
  /** No answer: connection refused or reset, DNS, timeout (after retries). */
  "HARBOR_UNREACHABLE",
  /** The TLS handshake failed: untrusted or mismatched certificate. Never retried. */
  "HARBOR_TLS_FAILED",
  /** Harbor's answer is malformed: not JSON, too large, not the documented shape. */
  "HARBOR_INVALID_RESPONSE",
  /** The project, repository or digest asked for cannot name a Harbor artifact. */
  "HARBOR_INVALID_REQUEST",
  /** The client's options cannot work (bad base URL, fetch and ca both given …). */
  "HARBOR_INVALID_CONFIG",
] as const;
export type HarborApiErrorCode = (typeof HARBOR_API_ERROR_CODES)[number];

/** What a call was about. */
export interface HarborTarget {
  /** Harbor's host[:port]. */
  host: string;
  project?: string;
  /** The repository inside the project (without the project). */
  repository?: string;
  /** A digest. */
  reference?: string;
}

/**
 * A failed Harbor API call, naming the operation, the artifact and what to do. Messages never
 * carry the password: only the username is ever named, and text quoted from Harbor is scrubbed.
 */
export class HarborApiError extends Error {
  readonly code: HarborApiErrorCode;
  readonly operation: string;
  readonly host: string;
  readonly project?: string;
  readonly repository?: string;
  readonly reference?: string;
  /** The HTTP status that decided the failure, when there was one. */
  readonly status?: number;
  /** Harbor's `X-Request-Id` of the failed answer: the key to Harbor's core log. */
  readonly requestId?: string;

  constructor(
    code: HarborApiErrorCode,
    operation: string,
    target: HarborTarget,
    detail: string,
    opts: { cause?: unknown; status?: number; requestId?: string } = {},
  ) {
    const rid = opts.requestId ? ` (Harbor request id ${opts.requestId})` : "";
    super(
      `Harbor ${operation} failed for ${describeHarborTarget(target)}: ${detail}${rid}`,
      opts.cause === undefined ? undefined : { cause: opts.cause },
    );
    this.name = "HarborApiError";
    this.code = code;
    this.operation = operation;
    this.host = target.host;
    if (target.project !== undefined) this.project = target.project;
    if (target.repository !== undefined) this.repository = target.repository;
    if (target.reference !== undefined) this.reference = target.reference;
    if (opts.status !== undefined) this.status = opts.status;
    if (opts.requestId !== undefined) this.requestId = opts.requestId;
  }
}

/** `project/repo@sha256:… (Harbor host)`, or `Harbor host`. */
export function describeHarborTarget(t: HarborTarget): string {
  if (t.project === undefined) return `Harbor ${t.host}`;
  const repo = t.repository === undefined ? t.project : `${t.project}/${t.repository}`;
  const ref = t.reference === undefined ? "" : `@${t.reference}`;
  return `${repo}${ref} (Harbor ${t.host})`;
}

const MAX_DETAIL = 300;

/**
 * Harbor's own error codes and messages from an error body (`{"errors":[{"code","message"}]}`),
 * e.g. "NOT_FOUND: artifact library/app@sha256:… not found". Only those fields are quoted, never
 * a whole body: a proxy's error page may echo request headers. Undefined when the body is not
 * Harbor's error shape.
 */
export function harborErrorSummary(body: Buffer | undefined): string | undefined {
  if (!body || body.length === 0) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(body.toString("utf8"));
  } catch {
    return undefined;
  }
  const errors = (json as { errors?: unknown } | null)?.errors;
  if (!Array.isArray(errors) || errors.length === 0) return undefined;
  const parts: string[] = [];
  for (const e of errors) {
    const code = typeof e?.code === "string" ? e.code : undefined;
    const message = typeof e?.message === "string" ? e.message : undefined;
    if (code === undefined && message === undefined) continue;
    parts.push([code, message].filter((s) => s !== undefined).join(": "));
  }
  if (parts.length === 0) return undefined;
  const text = parts.join("; ");
  return text.length > MAX_DETAIL ? `${text.slice(0, MAX_DETAIL - 1)}…` : text;
}
