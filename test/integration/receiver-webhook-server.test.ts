import { readFileSync } from "node:fs";
import http from "node:http";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startWebhookServer, type WebhookServer } from "../../local/webhook-server.ts";
import type { RegistryEvent } from "../../shared/domain/registry-event.ts";

const SECRET = "local-server-test-secret-0123456789";
const TYPE = "application/vnd.docker.distribution.events.v1+json";
const fixtureText = (path: string) =>
  readFileSync(new URL(`../fixtures/webhooks/${path}`, import.meta.url), "utf8");

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  json: Record<string, unknown>;
}

/**
 * One request over real HTTP. The body is written in chunks (with no Content-Length when
 * `chunked`), and the answer is taken as soon as it comes, even while the body is still being
 * written: a receiver that stops reading at its limit answers before the upload ends.
 */
function send(
  url: string,
  opts: {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: Buffer;
    chunked?: boolean;
  },
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const body = opts.body ?? Buffer.alloc(0);
    const target = new URL(opts.path ?? "/webhooks/distribution", url);
    const req = http.request(target, {
      method: opts.method ?? "POST",
      headers: {
        ...opts.headers,
        ...(opts.chunked
          ? { "transfer-encoding": "chunked" }
          : { "content-length": String(body.length) }),
      },
    });
    let answered = false;
    req.on("response", (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          json: JSON.parse(Buffer.concat(chunks).toString() || "{}"),
        }),
      );
    });
    // Writing the rest of a body the server refused may fail once it closes: not our question.
    req.on("error", (err) => {
      if (!answered) reject(err);
    });
    const step = 64 * 1024;
    let at = 0;
    const write = () => {
      while (at < body.length) {
        const chunk = body.subarray(at, at + step);
        at += step;
        if (!req.write(chunk)) {
          req.once("drain", write);
          return;
        }
      }
      req.end();
    };
    write();
  });
}

let server: WebhookServer;
const received: RegistryEvent[][] = [];

beforeAll(async () => {
  server = await startWebhookServer({
    secret: SECRET,
    registryHost: "127.0.0.1:5000",
    ignoreRepository: (r) => r.startsWith("quarantine/"),
    onEvents: (events) => received.push(events),
  });
});

afterAll(async () => {
  await server?.close();
});

beforeEach(() => {
  received.length = 0;
});

const auth = { authorization: `Bearer ${SECRET}`, "content-type": TYPE };
const goodBody = Buffer.from(fixtureText("distribution/manifest-push-tagged.json"));

describe("startWebhookServer", () => {
  it("listens on loopback on a free port", () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    expect(server.port).toBeGreaterThan(0);
  });

  it("202 for a good notification, and onEvents gets its events", async () => {
    const r = await send(server.url, { headers: auth, body: goodBody });
    expect(r.status).toBe(202);
    expect(r.headers["content-type"]).toBe("application/json");
    expect(r.json).toMatchObject({ ok: true, accepted: 1, ignored: 0 });
    expect(received).toHaveLength(1);
    expect(received[0]).toEqual([
      expect.objectContaining({
        kind: "image-pushed",
        eventId: "8b2f1c0e-5d4a-4e61-9a53-2f7c9d1e4b80",
        image: expect.objectContaining({ registryId: "127.0.0.1:5000", repository: "hello-world" }),
      }),
    ]);
  });

  it("202 for a Harbor webhook with the bare secret, streamed in chunks", async () => {
    const r = await send(server.url, {
      path: "/webhooks/harbor",
      headers: { authorization: SECRET, "content-type": "application/json" },
      body: Buffer.from(fixtureText("harbor/default/push-artifact.json")),
      chunked: true,
    });
    expect(r.status).toBe(202);
    expect(received.flat().map((e) => e.source)).toEqual(["harbor"]);
  });

  it("does not call onEvents when every event is ignored", async () => {
    const envelope = JSON.parse(goodBody.toString());
    envelope.events[0].target.repository = "quarantine/hello-world";
    const r = await send(server.url, {
      headers: auth,
      body: Buffer.from(JSON.stringify(envelope)),
    });
    expect(r.status).toBe(202);
    expect(r.json).toMatchObject({ accepted: 0, ignored: 1 });
    expect(received).toEqual([]);
  });

  it("answers GET /healthz", async () => {
    const r = await send(server.url, { method: "GET", path: "/healthz" });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ ok: true });
  });

  const refusals: [string, Parameters<typeof send>[1], number, string][] = [
    [
      "a forged secret",
      { headers: { ...auth, authorization: "Bearer forged" }, body: goodBody },
      401,
      "WEBHOOK_AUTH_INVALID",
    ],
    [
      "no secret",
      { headers: { "content-type": TYPE }, body: goodBody },
      401,
      "WEBHOOK_AUTH_MISSING",
    ],
    [
      "malformed JSON",
      { headers: auth, body: Buffer.from('{"events": [') },
      400,
      "WEBHOOK_MALFORMED_JSON",
    ],
    [
      "a wrong content type",
      { headers: { ...auth, "content-type": "text/plain" }, body: goodBody },
      415,
      "WEBHOOK_UNSUPPORTED_MEDIA_TYPE",
    ],
    [
      "an unknown path",
      { path: "/webhooks/quay", headers: auth, body: goodBody },
      404,
      "WEBHOOK_NOT_FOUND",
    ],
    ["a GET on a webhook", { method: "GET", headers: auth }, 405, "WEBHOOK_METHOD_NOT_ALLOWED"],
    [
      "a bad digest",
      {
        headers: auth,
        body: Buffer.from(goodBody.toString().replace(/sha256:fea8/g, "sha256:XYZ")),
      },
      400,
      "EVENT_INVALID_DIGEST",
    ],
    [
      "a 2 MiB body with its length declared",
      { headers: auth, body: Buffer.alloc(2 * 1024 * 1024, 0x20) },
      413,
      "WEBHOOK_BODY_TOO_LARGE",
    ],
    [
      "a 2 MiB body streamed without a length",
      { headers: auth, body: Buffer.alloc(2 * 1024 * 1024, 0x20), chunked: true },
      413,
      "WEBHOOK_BODY_TOO_LARGE",
    ],
  ];

  it.each(refusals)("%s → %i %s, onEvents not called", async (_label, opts, status, code) => {
    const r = await send(server.url, opts);
    expect(r.status).toBe(status);
    expect(r.json).toMatchObject({ ok: false, code });
    expect(JSON.stringify(r)).not.toContain(SECRET);
    expect(received).toEqual([]);
  });

  /** Sends headers and `bytes` of body, then stalls (never ends the request) until answered. */
  function stall(headers: Record<string, string>, bytes: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const req = http.request(new URL("/webhooks/distribution", server.url), {
        method: "POST",
        headers: { ...headers, "transfer-encoding": "chunked" },
      });
      req.on("response", (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
        req.destroy();
      });
      req.on("error", () => {});
      setTimeout(() => reject(new Error("no answer while the body was still open")), 5000);
      req.flushHeaders();
      if (bytes > 0) req.write(Buffer.alloc(bytes, 0x20));
    });
  }

  it("answers 413 as soon as the limit is passed, without waiting for the rest of the body", async () => {
    expect(await stall(auth, 1024 * 1024 + 1)).toBe(413);
    expect(received).toEqual([]);
  });

  it("answers 401 to a forged sender before reading any of its body", async () => {
    expect(await stall({ ...auth, authorization: "Bearer forged" }, 0)).toBe(401);
  });

  it("closes the connection after a refusal, and stays up for the next request", async () => {
    const r = await send(server.url, {
      headers: auth,
      body: Buffer.alloc(2 * 1024 * 1024, 0x20),
      chunked: true,
    });
    expect(r.headers.connection).toBe("close");
    const next = await send(server.url, { headers: auth, body: goodBody });
    expect(next.status).toBe(202);
  });

  it("answers 503 and keeps nothing when onEvents throws (the registry retries)", async () => {
    const failing = await startWebhookServer({
      secret: SECRET,
      registryHost: "127.0.0.1:5000",
      onEvents: () => {
        throw new Error("queue closed");
      },
    });
    try {
      const r = await send(failing.url, { headers: auth, body: goodBody });
      expect(r.status).toBe(503);
      expect(r.json).toMatchObject({ ok: false, code: "WEBHOOK_UNAVAILABLE" });
    } finally {
      await failing.close();
    }
  });

  it("answers 500 and stays up when a request makes the receiver throw", async () => {
    const throwing = await startWebhookServer({
      secret: SECRET,
      registryHost: "127.0.0.1:5000",
      ignoreRepository: () => {
        throw new Error("boom");
      },
      onEvents: () => {},
    });
    try {
      const r = await send(throwing.url, { headers: auth, body: goodBody });
      expect(r.status).toBe(500);
      expect(r.json).toMatchObject({ ok: false, code: "WEBHOOK_INTERNAL_ERROR" });
      const health = await send(throwing.url, { method: "GET", path: "/healthz" });
      expect(health.status).toBe(200);
    } finally {
      await throwing.close();
    }
  });

  it("refuses to start with a weak secret or a bad registry host", async () => {
    const onEvents = () => {};
    await expect(
      startWebhookServer({ secret: "short", registryHost: "127.0.0.1:5000", onEvents }),
    ).rejects.toThrow(/at least 16 characters/);
    await expect(
      startWebhookServer({ secret: SECRET, registryHost: "http://x", onEvents }),
    ).rejects.toThrow(/registryHost/);
  });
});
