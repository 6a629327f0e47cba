import { appendFile } from "node:fs/promises";
import type { Writable } from "node:stream";
import type { Alert, Alerts } from "../../ports.ts";

export interface ConsoleAlertsOptions {
  /** Where the readable text goes (the CLI passes stdout or stderr). */
  out: Writable;
  /** When set, each alert's JSON is appended here as one line (JSON Lines). */
  jsonlPath?: string;
}

/**
 * Alerts for the local runtime and dry runs: the text to a stream, the JSON (with subject and
 * attributes, as SNS subscribers would filter on them) to an optional JSONL file.
 */
export class ConsoleAlerts implements Alerts {
  private readonly out: Writable;
  private readonly jsonlPath?: string;
  private count = 0;

  constructor(opts: ConsoleAlertsOptions) {
    this.out = opts.out;
    if (opts.jsonlPath) this.jsonlPath = opts.jsonlPath;
  }

  async publish(alert: Alert): Promise<{ messageId?: string }> {
    this.count += 1;
    const messageId = `console-${this.count}`;
    await write(this.out, `${alert.subject}\n\n${alert.text}\n\n`);
    if (this.jsonlPath) {
      const line = JSON.stringify({
        messageId,
        subject: alert.subject,
        attributes: alert.attributes,
        message: alert.json,
      });
      await appendFile(this.jsonlPath, `${line}\n`, "utf8");
    }
    return { messageId };
  }
}

function write(stream: Writable, chunk: string): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.write(chunk, (err) => (err ? reject(err) : resolve()));
  });
}
