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

/** A date, or a date and time with its UTC offset: a time without one would be read as local. */
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2}))?$/;

/** A time option (`--now`, `--from` …) must be an ISO 8601 instant; a date means 00:00 UTC. */
export function parseTime(value: string, flag: string): Date {
  const t = Date.parse(value);
  if (!ISO_INSTANT.test(value) || Number.isNaN(t)) {
    throw new CliUsageError(
      "CLI_TIME",
      `${flag} ${value}: expected an ISO 8601 date or time with a UTC offset, such as 2026-11-27 or 2026-11-27T12:00:00Z`,
    );
  }
  return new Date(t);
}

/** `--now` defaults to the real clock. */
export function parseNow(value: string | undefined): Date {
  return value === undefined ? new Date() : parseTime(value, "--now");
}
