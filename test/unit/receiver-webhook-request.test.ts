import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ReceiverConfigError } from "../../shared/receiver/receiver-config.ts";
import {
  checkWebhookHead,
  handleWebhookRequest,
  type ReceiverConfig,
  type WebhookRequest,
} from "../../shared/receiver/webhook-request.ts";

const FIXTURES = new URL("../fixtures/webhooks/", import.meta.url);
const fixtureText = (path: string) => readFileSync(new URL(path, FIXTURES), "utf8");

const SECRET = "s3cr3t-0123456789-abcdef";
const DIST_TYPE = "application/vnd.docker.distribution.events.v1+json";
const cfg: ReceiverConfig = {
  secret: SECRET,
  registryHost: "registry.example.com:5000",
  maxBodyBytes: 64 * 1024,
};

function request(over: Partial<WebhookRequest> & { text?: string } = {}): WebhookRequest {
  const { text, ...rest } = over;
  return {
    method: "POST",
    path: "/webhooks/distribution",
    headers: { authorization: `Bearer ${SECRET}`, "content-type": DIST_TYPE },
    body: Buffer.from(text ?? fixtureText("distribution/manifest-push-tagged.json")),
    ...rest,
  };
}

describe("handleWebhookRequest: accepted", () => {
  it("202 with the distribution envelope's events, named after the configured registry", () => {
    const r = handleWebhookRequest(request(), cfg);
    expect(r.status).toBe(202);
    expect(r.body).toMatchObject({ ok: true, accepted: 1, ignored: 0 });
    expect(r.events).toEqual([
      expect.objectContaining({
        kind: "image-pushed",
        eventId: "8b2f1c0e-5d4a-4e61-9a53-2f7c9d1e4b80",
        image: {
          registry: "oci",
          registryId: "registry.example.com:5000",
          repository: "hello-world",
          digest: "sha256:fea8895f450959fa676bcc1df0611ea93823a735a01205fd8622846041d0c7cf",
          tags: ["latest"],
        },
      }),
    ]);
  });

  it("counts the envelope's ignored entries (blob pushes) as ignored", () => {
    const r = handleWebhookRequest(
      request({ text: fixtureText("distribution/envelope-docs.json") }),
      cfg,
    );
    expect(r.status).toBe(202);
    const total = (r.body.accepted ?? 0) + (r.body.ignored ?? 0);
    expect(total).toBe(3);
    expect(r.body.ignored).toBe(r.ignoredEvents?.length);
    expect(r.events).toHaveLength(r.body.accepted ?? -1);
  });

  it.each([
    ["Default", "application/json", "harbor/default/push-artifact-tagged.json"],
    ["CloudEvents", "application/cloudevents+json", "harbor/cloudevents/push-artifact.json"],
  ])("Harbor %s payload with the bare secret as its Auth Header", (_f, type, file) => {
    const r = handleWebhookRequest(
      request({
        path: "/webhooks/harbor",
        headers: { authorization: SECRET, "content-type": type },
        text: fixtureText(file),
      }),
      cfg,
    );
    expect(r.status).toBe(202);
    expect(r.events).toEqual([expect.objectContaining({ kind: "image-pushed", source: "harbor" })]);
  });

  it("accepts a Bearer secret on the Harbor endpoint too, and header names in any case", () => {
    const r = handleWebhookRequest(
      request({
        path: "/webhooks/harbor?x=1",
        headers: { Authorization: `bearer ${SECRET}`, "Content-Type": "application/json" },
        text: fixtureText("harbor/default/push-artifact.json"),
      }),
      cfg,
    );
    expect(r.status).toBe(202);
  });

  it("ignores events in repositories the caller excludes (quarantine moves), counting them", () => {
    const envelope = JSON.parse(fixtureText("distribution/manifest-push-tagged.json"));
    const second = structuredClone(envelope.events[0]);
    second.id = "second-event";
    second.target.repository = "quarantine/hello-world";
    envelope.events.push(second);
    const seen: string[] = [];
    const r = handleWebhookRequest(request({ text: JSON.stringify(envelope) }), {
      ...cfg,
      ignoreRepository: (repo) => {
        seen.push(repo);
        return repo.startsWith("quarantine/");
      },
    });
    expect(seen).toEqual(["hello-world", "quarantine/hello-world"]);
    expect(r.body).toMatchObject({ accepted: 1, ignored: 1 });
    expect(r.events.map((e) => e.eventId)).toEqual(["8b2f1c0e-5d4a-4e61-9a53-2f7c9d1e4b80"]);
    expect(r.ignoredEvents).toEqual([
      expect.objectContaining({ kind: "ignored", eventId: "second-event" }),
    ]);
    expect(r.ignoredEvents?.[0]?.reason).toContain("quarantine/hello-world");
  });

  it("answers GET /healthz without a secret", () => {
    const r = handleWebhookRequest(
      { method: "GET", path: "/healthz", headers: {}, body: new Uint8Array() },
      cfg,
    );
    expect(r).toMatchObject({ status: 200, body: { ok: true }, events: [] });
  });
});

describe("handleWebhookRequest: refused", () => {
  const refused = (req: WebhookRequest, c: ReceiverConfig = cfg) => {
    const r = handleWebhookRequest(req, c);
    expect(r.events).toEqual([]);
    expect(r.body.ok).toBe(false);
    return r;
  };

  it("404 for an unknown path, before anything else is looked at", () => {
    const r = refused(request({ path: "/webhooks/zot", headers: {} }));
    expect(r.status).toBe(404);
    expect(r.body.code).toBe("WEBHOOK_NOT_FOUND");
    expect(r.body.message).toContain("/webhooks/distribution");
  });

  it.each([
    ["GET", "/webhooks/distribution", "POST"],
    ["PUT", "/webhooks/harbor", "POST"],
    ["POST", "/healthz", "GET"],
  ])("405 for %s %s, with Allow: %s", (method, path, allow) => {
    const r = refused(request({ method, path }));
    expect(r.status).toBe(405);
    expect(r.body.code).toBe("WEBHOOK_METHOD_NOT_ALLOWED");
    expect(r.headers).toEqual({ allow });
  });

  it("401 without an Authorization header, with a challenge", () => {
    const r = refused(request({ headers: { "content-type": DIST_TYPE } }));
    expect(r.status).toBe(401);
    expect(r.body.code).toBe("WEBHOOK_AUTH_MISSING");
    expect(r.headers?.["www-authenticate"]).toMatch(/^Bearer /);
  });

  it.each([
    `Bearer ${SECRET}x`,
    `Bearer ${SECRET.slice(0, -1)}`,
    `Basic ${Buffer.from(`user:${SECRET}`).toString("base64")}`,
    `Token ${SECRET}`,
    "Bearer",
    "Bearer forged-secret-value",
  ])("401 for the wrong secret (%s), never repeating what was sent", (authorization) => {
    const r = refused(request({ headers: { authorization, "content-type": DIST_TYPE } }));
    expect(r.status).toBe(401);
    expect(r.body.code).toBe("WEBHOOK_AUTH_INVALID");
    expect(JSON.stringify(r.body)).not.toContain(authorization);
    expect(JSON.stringify(r)).not.toContain(SECRET);
  });

  it("checks the secret before the body: a forged request with a bad body is still 401", () => {
    const r = refused(
      request({
        headers: { authorization: "Bearer nope", "content-type": "text/plain" },
        text: "{",
      }),
    );
    expect(r.status).toBe(401);
  });

  it("413 for a body over the limit, and for a declared length over it", () => {
    const big = request({ text: " ".repeat(cfg.maxBodyBytes + 1) });
    expect(refused(big).status).toBe(413);
    expect(refused(big).body.code).toBe("WEBHOOK_BODY_TOO_LARGE");
    const declared = request({
      headers: {
        authorization: `Bearer ${SECRET}`,
        "content-type": DIST_TYPE,
        "content-length": String(cfg.maxBodyBytes + 1),
      },
    });
    expect(checkWebhookHead(declared, cfg)?.status).toBe(413);
  });

  it.each([
    ["/webhooks/distribution", "application/json"],
    ["/webhooks/distribution", undefined],
    ["/webhooks/harbor", DIST_TYPE],
    ["/webhooks/harbor", "text/plain"],
  ])("415 for %s sent as %s, naming what is expected", (path, type) => {
    const headers: Record<string, string> = { authorization: `Bearer ${SECRET}` };
    if (type) headers["content-type"] = type;
    const r = refused(request({ path, headers }));
    expect(r.status).toBe(415);
    expect(r.body.code).toBe("WEBHOOK_UNSUPPORTED_MEDIA_TYPE");
    expect(r.body.message).toMatch(/expected application\//);
  });

  it.each([
    ["not JSON", Buffer.from('{"events": ['), /not valid JSON/],
    ["empty", Buffer.from(""), /empty/],
    ["not UTF-8", Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), /not UTF-8/],
  ])("400 WEBHOOK_MALFORMED_JSON for a body that is %s", (_what, body, message) => {
    const r = refused({ ...request(), body });
    expect(r.status).toBe(400);
    expect(r.body.code).toBe("WEBHOOK_MALFORMED_JSON");
    expect(r.body.message).toMatch(message);
  });

  it("400 with the parser's code and field path for a bad event", () => {
    const envelope = JSON.parse(fixtureText("distribution/manifest-push-tagged.json"));
    envelope.events[0].target.digest = "sha256:NOT-A-DIGEST";
    const r = refused(request({ text: JSON.stringify(envelope) }));
    expect(r.status).toBe(400);
    expect(r.body.code).toBe("EVENT_INVALID_DIGEST");
    expect(r.body.path).toBe("events[0].target.digest");
    expect(r.body.message).toContain("events[0].target.digest");
  });

  it("400 for a Harbor CloudEvents body sent as application/json", () => {
    const r = refused(
      request({
        path: "/webhooks/harbor",
        headers: { authorization: SECRET, "content-type": "application/json" },
        text: fixtureText("harbor/cloudevents/push-artifact.json"),
      }),
    );
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ code: "EVENT_INVALID", path: "specversion" });
  });
});

describe("configuration", () => {
  it.each([
    ["an empty secret", { secret: "" }],
    ["a short secret", { secret: "short" }],
    ["a secret with a line break", { secret: `${SECRET}\nX` }],
    ["a bad registry host", { registryHost: "https://registry.example.com" }],
    ["a zero body limit", { maxBodyBytes: 0 }],
  ])("refuses %s, without quoting the secret", (_label, over) => {
    const c = { ...cfg, ...over };
    expect(() => handleWebhookRequest(request(), c)).toThrow(ReceiverConfigError);
    try {
      handleWebhookRequest(request(), c);
    } catch (err) {
      if (c.secret.length > 0) expect((err as Error).message).not.toContain(c.secret);
    }
  });
});

describe("properties", () => {
  const anyHeaders = fc.dictionary(
    fc.constantFrom("authorization", "content-type", "content-length", "x-other"),
    fc.string({ maxLength: 80 }),
  );
  const anyRequest = fc.record({
    method: fc.constantFrom("GET", "POST", "PUT", "DELETE", "post"),
    path: fc.constantFrom("/webhooks/distribution", "/webhooks/harbor", "/healthz", "/", "/x"),
    headers: anyHeaders,
    body: fc.uint8Array({ maxLength: 300 }),
  });

  it("never throws, answers a known status, returns events only with 202, never leaks the secret", () => {
    fc.assert(
      fc.property(anyRequest, fc.boolean(), (req, withSecret) => {
        const headers = withSecret
          ? { ...req.headers, authorization: `Bearer ${SECRET}` }
          : req.headers;
        const r = handleWebhookRequest({ ...req, headers }, cfg);
        expect([200, 202, 400, 401, 404, 405, 413, 415]).toContain(r.status);
        if (r.status !== 202) expect(r.events).toEqual([]);
        expect(r.body.ok).toBe(r.status < 300);
        expect(JSON.stringify(r)).not.toContain(SECRET);
      }),
    );
  });

  it("without the secret, no request gets past 401 (or the routing before it)", () => {
    fc.assert(
      fc.property(anyRequest, (req) => {
        fc.pre(!String(req.headers.authorization ?? "").includes(SECRET));
        const r = handleWebhookRequest(req, cfg);
        expect([200, 401, 404, 405]).toContain(r.status);
        if (r.status === 200) expect(req.path).toBe("/healthz");
      }),
    );
  });

  it("a mutated valid envelope is either accepted or refused with 400, never anything else", () => {
    const text = fixtureText("distribution/manifest-push-tagged.json");
    fc.assert(
      fc.property(fc.nat(text.length - 1), fc.string({ minLength: 1, maxLength: 1 }), (at, ch) => {
        const mutated = text.slice(0, at) + ch + text.slice(at + 1);
        const r = handleWebhookRequest(request({ text: mutated }), cfg);
        expect([202, 400]).toContain(r.status);
        if (r.status === 400) expect(r.body.code).toMatch(/^(WEBHOOK_MALFORMED_JSON|EVENT_)/);
      }),
      { numRuns: 300 },
    );
  });
});
