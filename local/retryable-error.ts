/**
 * Errors that a retry cannot fix: the event goes to the dead letters at once instead of being
 * tried again. A digest mismatch is an incident to look at; a wrong registry or configuration,
 * or a manifest type the adapter cannot move, stays that way. Everything else (registry or
 * audit store unreachable, a decision still in progress elsewhere, an alert sink down) is
 * retried with backoff.
 */
const PERMANENT = new Set([
  "DIGEST_MISMATCH",
  "OCI_WRONG_REGISTRY",
  "OCI_INVALID_CONFIG",
  "OCI_UNSUPPORTED_MANIFEST",
  "AUDIT_STORE_CONFIG",
]);

export function isRetryable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return !(typeof code === "string" && PERMANENT.has(code));
}
