import { mkdtemp, readFile, rm } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AlertFanoutError, FanoutAlerts } from "../../local/fanout-alerts.ts";
import { AlertWebhookError, WebhookAlerts } from "../../local/webhook-alerts.ts";
import { ConsoleAlerts } from "../../shared/adapters/console/console-alerts.ts";
import type { Alert } from "../../shared/ports.ts";

const alert: Alert = {
  subject: "[registry-guard] FAIL quarantined prod/a@sha256:0000",
  text: "prod/a FAILED the severity gate",
  json: { schemaVersion: 1, verdict: "fail" },
  attributes: {
    eventType: "image.quarantined",
    severity: "HIGH",
    repository: "prod/a",
    verdict: "fail",
  },
};

let server: http.Server;
let url: string;
let status = 204;
const received: { headers: http.IncomingHttpHeaders; body: Record<string, unknown> }[] = [];
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "rg-alerts-"));
  server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => {
      body += c.toString();
    });
    req.on("end", () => {
      received.push({ headers: req.headers, body: JSON.parse(body) as Record<string, unknown> });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
});
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  await rm(dir, { recursive: true, force: true });
});

describe("alert sinks of the local runtime", () => {
  it("the webhook gets the alert's JSON with its filter attributes", async () => {
    status = 204;
    const { messageId } = await new WebhookAlerts({ url }).publish(alert);
    const last = received.at(-1);
    expect(last?.body).toEqual({
      messageId,
      subject: alert.subject,
      attributes: alert.attributes,
      message: alert.json,
    });
    expect(last?.headers["x-registry-guard-event-type"]).toBe("image.quarantined");
  });

  it("a refusing webhook fails the publish, and the fan-out names the sink (the event is retried)", async () => {
    status = 500;
    const jsonl = join(dir, "alerts.jsonl");
    const fanout = new FanoutAlerts([
      { name: "console", alerts: new ConsoleAlerts({ out: new PassThrough(), jsonlPath: jsonl }) },
      { name: "webhook", alerts: new WebhookAlerts({ url }) },
    ]);
    const err = await fanout.publish(alert).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AlertFanoutError);
    expect((err as AlertFanoutError).failures.map((f) => f.sink)).toEqual(["webhook"]);
    expect((err as AlertFanoutError).failures[0]?.error).toBeInstanceOf(AlertWebhookError);
    // The other sink still delivered.
    expect((await readFile(jsonl, "utf8")).trim().split("\n")).toHaveLength(1);
    status = 204;
    expect((await fanout.publish(alert)).messageId).toBe("console-2");
  });

  it("an unreachable webhook is an error, and a bad URL is refused up front", async () => {
    await expect(
      new WebhookAlerts({ url: "http://127.0.0.1:9/x", timeoutMs: 2000 }).publish(alert),
    ).rejects.toBeInstanceOf(AlertWebhookError);
    expect(() => new WebhookAlerts({ url: "ftp://example.com/x" })).toThrow(/http and https/);
    expect(() => new WebhookAlerts({ url: "not a url" })).toThrow(/not a URL/);
  });
});
