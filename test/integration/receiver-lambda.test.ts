import { randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { PublishCommand } from "@aws-sdk/client-sns";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { TRIVY_REPORT_MEDIA_TYPE } from "../../shared/adapters/oci/oci-scan-report.ts";
import { imageKey } from "../../shared/domain/image.ts";
import {
  fakeLambdaContext,
  HandlerHarness,
  type LambdaHandler,
} from "../support/lambda-harness.ts";
import { type LocalRegistry, startLocalRegistry } from "../support/local-registry.ts";
import {
  attachArtifact,
  listedTags,
  type PushTarget,
  pullStatus,
  pushImage,
} from "../support/oci-push.ts";

// The webhook-receiver Lambda as deployed (env-configured module, middy + Powertools), behind a
// stand-in for its Function URL: the real distribution registry (with Basic auth) notifies it,
// DynamoDB is dynalite, SNS is mocked at the client.

const SECRET = "lambda-receiver-secret-0123456789abc";
const FUNCTION = "webhook-receiver";
const TRIVY = JSON.parse(
  await import("node:fs").then((fs) =>
    fs.readFileSync(new URL("../fixtures/findings/trivy.json", import.meta.url), "utf8"),
  ),
);

let h: HandlerHarness;
let reg: LocalRegistry;
let target: PushTarget;
let bridge: http.Server;
let handler: LambdaHandler | undefined;
/** Whether the stand-in Function URL passes the registry's notifications on. */
let bridgeOpen = true;
let restoreOutput = () => {};
/** Everything the function printed (Powertools JSON logs and EMF), across invocations. */
const output: string[] = [];
const answers: number[] = [];

/** The Function URL's side: an HTTP request → a payload format 2.0 event → the handler. */
function functionUrlEvent(req: http.IncomingMessage, body: Buffer) {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(",") : v;
  }
  const url = new URL(req.url ?? "/", "http://function-url");
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    requestContext: {
      accountId: "anonymous",
      apiId: "abcdefg",
      domainName: "abcdefg.lambda-url.us-east-1.on.aws",
      domainPrefix: "abcdefg",
      http: {
        method: req.method ?? "GET",
        path: url.pathname,
        protocol: "HTTP/1.1",
        sourceIp: "127.0.0.1",
        userAgent: String(req.headers["user-agent"] ?? ""),
      },
      requestId: randomUUID(),
      routeKey: "$default",
      stage: "$default",
      time: new Date().toUTCString(),
      timeEpoch: Date.now(),
    },
    body: body.toString("base64"),
    isBase64Encoded: true,
  };
}

/** Captures (and silences) stdout and stderr for the whole file: invocations overlap. */
function captureOutput(): () => void {
  const spies = [process.stdout, process.stderr].map((stream) =>
    vi.spyOn(stream, "write").mockImplementation((chunk: unknown) => {
      output.push(typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString());
      return true;
    }),
  );
  return () => {
    for (const s of spies) s.mockRestore();
  };
}

async function invoke(event: unknown): Promise<{ statusCode: number; body: string }> {
  if (!handler) throw new Error("handler not loaded");
  return (await handler(event, fakeLambdaContext(FUNCTION))) as {
    statusCode: number;
    body: string;
  };
}

async function loadHandler(env: Record<string, string>): Promise<LambdaHandler> {
  for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v);
  vi.stubEnv("AWS_LAMBDA_FUNCTION_NAME", FUNCTION);
  vi.resetModules();
  const mod = (await import("../../functions/webhook-receiver.ts")) as { handler: unknown };
  return mod.handler as LambdaHandler;
}

async function eventually<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  restoreOutput = captureOutput();
  h = await HandlerHarness.start();
  await h.reset();
  bridge = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      if (!bridgeOpen) {
        res.writeHead(503).end();
        return;
      }
      try {
        const r = await invoke(functionUrlEvent(req, Buffer.concat(chunks)));
        answers.push(r.statusCode);
        res.writeHead(r.statusCode, { "content-type": "application/json" }).end(r.body);
      } catch {
        res.writeHead(502).end();
      }
    });
  });
  await new Promise<void>((r) => bridge.listen(0, "127.0.0.1", r));
  const { port } = bridge.address() as AddressInfo;
  reg = await startLocalRegistry({
    auth: "basic",
    notifications: { url: `http://127.0.0.1:${port}/webhooks/distribution`, token: SECRET },
  });
  target = { url: reg.url, ...(reg.credentials ? { credentials: reg.credentials } : {}) };
  handler = await loadHandler({
    REGISTRY_URL: reg.url,
    REGISTRY_USERNAME: reg.credentials?.username ?? "",
    REGISTRY_PASSWORD: reg.credentials?.password ?? "",
    WEBHOOK_SECRET: SECRET,
  });
});

afterAll(async () => {
  restoreOutput();
  await reg?.stop();
  bridge?.closeAllConnections();
  await new Promise((r) => bridge?.close(r));
  await h?.stop();
});

const refOf = (repository: string, digest: string) => ({
  registry: "oci" as const,
  registryId: reg.host,
  repository,
  digest,
  tags: [],
});

describe("webhook-receiver Lambda with the real registry", () => {
  it("records a push, then quarantines the image when a failing scan report is attached", async () => {
    const img = await pushImage(target, "prod/app", { tags: ["v1"] });
    const audit = h.audit();
    const key = imageKey(refOf("prod/app", img.digest));
    await eventually("the push record", async () =>
      (await audit.byImage(key)).find((r) => r.action === "event-received") ? true : undefined,
    );

    await attachArtifact(target, "prod/app", img, {
      artifactType: TRIVY_REPORT_MEDIA_TYPE,
      layers: [{ mediaType: TRIVY_REPORT_MEDIA_TYPE, bytes: Buffer.from(JSON.stringify(TRIVY)) }],
    });
    const records = await eventually("the quarantine record", async () => {
      const all = await audit.byImage(key);
      return all.some((r) => r.action === "quarantined") ? all : undefined;
    });
    expect(records.map((r) => r.action)).toEqual(
      expect.arrayContaining(["event-received", "gate-evaluated", "quarantined"]),
    );
    expect(await pullStatus(target, "prod/app", "v1")).toBe(404);
    expect(await pullStatus(target, "prod/app", img.digest)).toBe(404);
    expect(await listedTags(target, "quarantine/prod/app")).toContain("v1");
    await eventually("the alert", async () =>
      h.snsMock.commandCalls(PublishCommand).length > 0 ? true : undefined,
    );
    // The move's own notifications (pushes to quarantine/…) were answered and ignored.
    expect(answers.every((s) => s === 202)).toBe(true);
    const text = output.join("");
    expect(text).toContain("event ignored");
    expect(text).toContain("WebhookAccepted");
  });

  it("the OCI scan-timeout sweep fails an image the receiver recorded and nobody scanned", async () => {
    // The registry's own notification is held back; the receiver gets one dated 2 hours ago.
    bridgeOpen = false;
    const img = await pushImage(target, "prod/unscanned", { tags: ["v2"] });
    const pushedAt = new Date(Date.now() - 2 * 3_600_000).toISOString();
    const notice = await invoke(
      functionUrlEvent(
        Object.assign(new http.IncomingMessage(null as never), {
          method: "POST",
          url: "/webhooks/distribution",
          headers: {
            authorization: `Bearer ${SECRET}`,
            "content-type": "application/vnd.docker.distribution.events.v1+json",
          },
        }),
        Buffer.from(
          JSON.stringify({
            events: [
              {
                id: "push-unscanned",
                timestamp: pushedAt,
                action: "push",
                target: {
                  mediaType: "application/vnd.oci.image.manifest.v1+json",
                  digest: img.digest,
                  repository: "prod/unscanned",
                  tag: "v2",
                },
                actor: {},
              },
            ],
          }),
        ),
      ),
    );
    expect(notice.statusCode).toBe(202);
    const key = imageKey(refOf("prod/unscanned", img.digest));
    expect((await h.audit().byImage(key)).map((r) => r.action)).toEqual(["event-received"]);

    vi.stubEnv("AWS_LAMBDA_FUNCTION_NAME", "oci-scan-timeout-check");
    vi.resetModules();
    const sweep = (await import("../../functions/oci-scan-timeout-check.ts")) as {
      handler: LambdaHandler;
    };
    const result = await sweep.handler(
      { "detail-type": "Scheduled Event", source: "aws.events", detail: {} },
      fakeLambdaContext("oci-scan-timeout-check"),
    );

    expect(result).toEqual({ decided: 1, failed: 1 });
    const records = await h.audit().byImage(key);
    expect(records.map((r) => r.action)).toEqual([
      "event-received",
      "gate-evaluated",
      "quarantined",
      "alert-sent",
    ]);
    expect(records[1]?.reasons?.[0]).toMatch(/^requireScan/);
    expect(await pullStatus(target, "prod/unscanned", "v2")).toBe(404);
    expect(await pullStatus(target, "prod/unscanned", img.digest)).toBe(404);
    // A second run finds nothing left to decide.
    expect(
      await sweep.handler({ source: "aws.events" }, fakeLambdaContext("oci-scan-timeout-check")),
    ).toEqual({ decided: 0, failed: 0 });
    bridgeOpen = true;
  });

  it("answers a forged request 401 and runs nothing", async () => {
    const before = h.snsMock.calls().length;
    const event = functionUrlEvent(
      Object.assign(new http.IncomingMessage(null as never), {
        method: "POST",
        url: "/webhooks/distribution",
        headers: {
          authorization: "Bearer forged",
          "content-type": "application/vnd.docker.distribution.events.v1+json",
        },
      }),
      Buffer.from('{"events":[]}'),
    );
    const r = await invoke(event);
    expect(r.statusCode).toBe(401);
    expect(JSON.parse(r.body)).toMatchObject({ ok: false, code: "WEBHOOK_AUTH_INVALID" });
    expect(h.snsMock.calls().length).toBe(before);
  });

  it("answers 500 when the registry cannot be reached, so the sender retries", async () => {
    bridgeOpen = false;
    handler = await loadHandler({ REGISTRY_URL: "http://127.0.0.1:9" });
    const event = functionUrlEvent(
      Object.assign(new http.IncomingMessage(null as never), {
        method: "POST",
        url: "/webhooks/distribution",
        headers: {
          authorization: `Bearer ${SECRET}`,
          "content-type": "application/vnd.docker.distribution.events.v1+json",
        },
      }),
      Buffer.from(
        JSON.stringify({
          events: [
            {
              id: "push-unreachable",
              timestamp: "2024-06-01T10:00:00Z",
              action: "push",
              target: {
                mediaType: "application/vnd.oci.image.manifest.v1+json",
                digest: `sha256:${"c".repeat(64)}`,
                repository: "prod/app",
              },
              actor: {},
            },
          ],
        }),
      ),
    );
    const r = await invoke(event);
    expect(r.statusCode).toBe(500);
    expect(JSON.parse(r.body)).toMatchObject({ ok: false, code: "WEBHOOK_PIPELINE_FAILED" });
    expect(output.join("")).toContain("WebhookPipelineFailed");
  });

  it("fails at load when the deployment left WEBHOOK_SECRET unset or weak", async () => {
    vi.stubEnv("WEBHOOK_SECRET", "");
    await expect(loadHandler({})).rejects.toThrow(/WEBHOOK_SECRET is not set/);
    await expect(loadHandler({ WEBHOOK_SECRET: "weak" })).rejects.toThrow(/at least 16/);
    await expect(
      loadHandler({
        WEBHOOK_SECRET: SECRET,
        REGISTRY_USERNAME: "only-user",
        REGISTRY_PASSWORD: "",
      }),
    ).rejects.toThrow(/set together/);
  });
  it("never logs the webhook secret or the registry password", () => {
    const text = output.join("");
    expect(text.length).toBeGreaterThan(0);
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(reg.credentials?.password ?? "no-password");
  });
});
