export { DigestMismatchError } from "../../domain/digest-mismatch-error.ts";

export const OCI_REGISTRY_ERROR_CODES = [
  /** The registry answered with a status the operation cannot use (after retries). */
  "OCI_REQUEST_FAILED",
  /** No answer: connection refused or reset, DNS, timeout (after retries). */
  "OCI_UNREACHABLE",
  /** The TLS handshake failed: untrusted or mismatched certificate. Never retried. */
  "OCI_TLS_FAILED",
  /** The registry or its token service refused the credentials, or needs some. */
  "OCI_AUTH_FAILED",
  /** Authenticated, but not allowed (HTTP 403). */
  "OCI_ACCESS_DENIED",
  /** The image (or a blob or child manifest it needs) does not exist. */
  "OCI_IMAGE_NOT_FOUND",
  /** The registry does not allow deleting manifests (HTTP 405). */
  "OCI_DELETE_UNSUPPORTED",
  /** A manifest type registry-guard cannot move (Docker schema 1, unknown media types). */
  "OCI_UNSUPPORTED_MANIFEST",
  /** The registry's answer is malformed: bad JSON, oversized, a pagination loop … */
  "OCI_INVALID_RESPONSE",
  /** The ImageRef does not address an image in this registry. */
  "OCI_WRONG_REGISTRY",
  /** The adapter's options cannot work (bad URL, bad quarantine template …). */
  "OCI_INVALID_CONFIG",
] as const;
export type OciRegistryErrorCode = (typeof OCI_REGISTRY_ERROR_CODES)[number];

/** What an operation was about: the registry, and where known the repository and reference. */
export interface OciTarget {
  registry: string;
  repository?: string;
  /** A digest (sha256:…) or a tag. */
  reference?: string;
}

/**
 * A failed registry operation, naming the operation, the image and what to check. Messages
 * never carry credentials: the client scrubs every secret it knows before an error leaves it.
 */
export class OciRegistryError extends Error {
  readonly code: OciRegistryErrorCode;
  readonly operation: string;
  readonly registry: string;
  readonly repository?: string;
  readonly reference?: string;
  /** The HTTP status that decided the failure, when there was one. */
  readonly status?: number;

  constructor(
    code: OciRegistryErrorCode,
    operation: string,
    target: OciTarget,
    detail: string,
    opts: { cause?: unknown; status?: number } = {},
  ) {
    super(
      `OCI ${operation} failed for ${describeTarget(target)}: ${detail}`,
      opts.cause === undefined ? undefined : { cause: opts.cause },
    );
    this.name = "OciRegistryError";
    this.code = code;
    this.operation = operation;
    this.registry = target.registry;
    if (target.repository !== undefined) this.repository = target.repository;
    if (target.reference !== undefined) this.reference = target.reference;
    if (opts.status !== undefined) this.status = opts.status;
  }
}

/** `repo@sha256:…`, `repo:tag` or `registry host`, for messages. */
export function describeTarget(t: OciTarget): string {
  if (t.repository === undefined) return `registry ${t.registry}`;
  const ref =
    t.reference === undefined
      ? ""
      : t.reference.includes(":")
        ? `@${t.reference}`
        : `:${t.reference}`;
  return `${t.repository}${ref} (registry ${t.registry})`;
}

const MAX_DETAIL = 300;

/**
 * The registry's own error codes from an error body (`{"errors":[{"code","message"}]}`, the
 * distribution spec's shape), e.g. "MANIFEST_UNKNOWN: manifest unknown". Only those fields are
 * quoted, never a whole body: an error page from a proxy may echo request headers.
 */
export function registryErrorSummary(body: Buffer | undefined): string | undefined {
  if (!body || body.length === 0) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(body.toString("utf8"));
  } catch {
    return undefined;
  }
  const errors = (json as { errors?: unknown }).errors;
  if (!Array.isArray(errors)) return undefined;
  const parts = errors
    .slice(0, 3)
    .map((e: { code?: unknown; message?: unknown }) =>
      [e.code, e.message].filter((x) => typeof x === "string" && x !== "").join(": "),
    )
    .filter((s) => s !== "");
  if (parts.length === 0) return undefined;
  const text = parts.join("; ");
  return text.length > MAX_DETAIL ? `${text.slice(0, MAX_DETAIL)}…` : text;
}

/** An answer the operation did not expect: the status, the registry's error codes and a hint. */
export function unexpectedStatus(
  operation: string,
  target: OciTarget,
  res: { status: number; body?: Buffer },
  hint = "",
): OciRegistryError {
  const summary = registryErrorSummary(res.body);
  const detail = `HTTP ${res.status}${summary ? ` (${summary})` : ""}${hint ? `: ${hint}` : ""}`;
  return new OciRegistryError("OCI_REQUEST_FAILED", operation, target, detail, {
    status: res.status,
  });
}
