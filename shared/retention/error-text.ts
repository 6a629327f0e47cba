import { clip } from "../domain/alert-format.ts";

/** A short code for a thrown error: its `code`, else its class name, else "ERROR". */
export function errorCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === "string" && code) return code;
  const name = (err as { name?: unknown } | null)?.name;
  return typeof name === "string" && name && name !== "Error" ? name : "ERROR";
}

/** The error's message, cut to fit a result entry or a log line. */
export function errorText(err: unknown): string {
  return clip(err instanceof Error ? err.message : String(err), 500);
}
