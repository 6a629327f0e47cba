import { readFileSync } from "node:fs";
import { CliUsageError } from "./cli-error.ts";

/** Reads a UTF-8 file named on the command line, with an error that names the flag and the file. */
export function readTextFile(path: string, flag: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    const reason =
      (err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (err as Error).message;
    throw new CliUsageError("CLI_FILE", `${flag} ${path}: ${reason}`);
  }
}

export function readJsonFile(path: string, flag: string): unknown {
  const text = readTextFile(path, flag);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new CliUsageError(
      "CLI_JSON",
      `${flag} ${path}: not valid JSON (${(err as Error).message})`,
    );
  }
}

/** `--now` must be an ISO 8601 instant; defaults to the real clock. */
export function parseNow(value: string | undefined): Date {
  if (value === undefined) return new Date();
  const t = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(t)) {
    throw new CliUsageError(
      "CLI_NOW",
      `--now ${value}: expected an ISO 8601 time such as 2026-11-27T12:00:00Z`,
    );
  }
  return new Date(t);
}
