import type { Log } from "../shared/ports.ts";
import type { CliIo } from "./cli-io.ts";

/** The pipeline's logger in the CLI: warnings and errors always, the rest with --verbose. */
export function stderrLog(io: CliIo, verbose: boolean): Log {
  const line = (level: string, message: string, extra: Record<string, unknown>[]) =>
    io.err(
      `${level} ${message}${extra.length ? ` ${JSON.stringify(Object.assign({}, ...extra))}` : ""}`,
    );
  return {
    debug: (m, ...x) => verbose && line("debug", m, x),
    info: (m, ...x) => verbose && line("info", m, x),
    warn: (m, ...x) => line("warn", m, x),
    error: (m, ...x) => line("error", m, x),
  };
}
