import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { ConsoleAlerts } from "../../shared/adapters/console/console-alerts.ts";
import type { Alert } from "../../shared/ports.ts";

function alert(n: number): Alert {
  return {
    subject: `[registry-guard] FAIL team-a/api@sha256:0000000${n} (1 HIGH)`,
    text: `registry-guard: team-a/api FAILED the severity gate.\nalert number ${n}`,
    json: { schemaVersion: 1, eventType: "gate.failed", n, nested: { lines: "a\nb" } },
    attributes: {
      eventType: "gate.failed",
      severity: "HIGH",
      repository: "team-a/api",
      verdict: "fail",
    },
  };
}

function collect(stream: PassThrough): () => string {
  const chunks: Buffer[] = [];
  stream.on("data", (c: Buffer) => chunks.push(c));
  return () => Buffer.concat(chunks).toString("utf8");
}

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

describe("ConsoleAlerts", () => {
  it("prints subject and text to the stream", async () => {
    const out = new PassThrough();
    const printed = collect(out);
    const result = await new ConsoleAlerts({ out }).publish(alert(1));
    expect(result.messageId).toBe("console-1");
    expect(printed()).toBe(`${alert(1).subject}\n\n${alert(1).text}\n\n`);
  });

  it("appends each alert's JSON as one line to the JSONL file", async () => {
    dir = await mkdtemp(join(tmpdir(), "rg-alerts-"));
    const file = join(dir, "alerts.jsonl");
    const alerts = new ConsoleAlerts({ out: new PassThrough(), jsonlPath: file });

    await alerts.publish(alert(1));
    await alerts.publish(alert(2));

    const lines = (await readFile(file, "utf8")).split("\n");
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe("");
    expect(lines.slice(0, 2).map((l) => JSON.parse(l))).toEqual([
      {
        messageId: "console-1",
        subject: alert(1).subject,
        attributes: alert(1).attributes,
        message: alert(1).json,
      },
      {
        messageId: "console-2",
        subject: alert(2).subject,
        attributes: alert(2).attributes,
        message: alert(2).json,
      },
    ]);
  });

  it("reports a JSONL file it cannot write", async () => {
    dir = await mkdtemp(join(tmpdir(), "rg-alerts-"));
    const alerts = new ConsoleAlerts({
      out: new PassThrough(),
      jsonlPath: join(dir, "missing-dir", "alerts.jsonl"),
    });
    await expect(alerts.publish(alert(1))).rejects.toThrow(/ENOENT/);
  });
});
