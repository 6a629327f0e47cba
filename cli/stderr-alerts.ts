import { Writable } from "node:stream";
import { ConsoleAlerts } from "../shared/adapters/console/console-alerts.ts";
import type { Alerts } from "../shared/ports.ts";
import type { CliIo } from "./cli-io.ts";

/**
 * Alerts printed to stderr, for an OCI registry used without an SNS topic: stdout keeps only the
 * command's result, and the alert is still recorded in the audit trail as sent.
 */
export function stderrAlerts(io: CliIo): Alerts {
  const out = new Writable({
    write(chunk: Buffer, _encoding, done) {
      io.err(chunk.toString("utf8").trimEnd());
      done();
    },
  });
  return new ConsoleAlerts({ out });
}
