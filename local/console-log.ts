import type { Log } from "../shared/ports.ts";

/**
 * The local runtime's log on stderr: warnings and errors always, the rest with --verbose.
 * Structured extras are printed as JSON; the pipeline never puts a secret in them.
 */
export function consoleLog(write: (line: string) => void, verbose: boolean): Log {
  const line = (level: string, message: string, extra: Record<string, unknown>[]) =>
    write(
      `${level} ${message}${extra.length ? ` ${JSON.stringify(Object.assign({}, ...extra))}` : ""}`,
    );
  return {
    debug: (m, ...x) => verbose && line("debug", m, x),
    info: (m, ...x) => verbose && line("info", m, x),
    warn: (m, ...x) => line("warn", m, x),
    error: (m, ...x) => line("error", m, x),
  };
}
