import { describe, expect, it } from "vitest";
import type { HarborFetch } from "../../shared/adapters/harbor/harbor-ca-fetch.ts";
import { HarborApiError } from "../../shared/adapters/harbor/harbor-errors.ts";
import {
  type HarborCall,
  HarborHttp,
  type HarborHttpOptions,
} from "../../shared/adapters/harbor/harbor-http.ts";
import { parseRetryAfter } from "../../shared/adapters/http-retry.ts";

const CALL: HarborCall = {
  operation: "GetArtifact",
  target: { project: "library", repository: "app", reference: `sha256:${"a".repeat(64)}` },
  path: "/projects/library/repositories/app/artifacts/x",
  maxBodyBytes: 1024,
};
const PASSWORD = "s3cr3t-robot-token";

interface Seen {
  url: string;
  init: RequestInit;
}

/** A fetch answering from a list, one answer per call (the last repeats). */
function scripted(answers: (() => Response | Promise<Response>)[]) {
  const seen: Seen[] = [];
  const fetch: HarborFetch = async (url, init) => {
    seen.push({ url, init });
    const next = answers[Math.min(seen.length - 1, answers.length - 1)];
    if (!next) throw new Error("no answer scripted");
    return next();
  };
  return { fetch, seen };
}

function client(fetch: HarborFetch, over: Partial<HarborHttpOptions> = {}) {
  const sleeps: number[] = [];
  const http = new HarborHttp({
    baseUrl: "https://harbor.example.com",
    auth: { username: "robot$library+guard", password: PASSWORD },
    fetch,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    ...over,
  });
  return { http, sleeps };
}

const json =
  (status: number, body: unknown, headers: Record<string, string> = {}) =>
  () =>
    new Response(JSON.stringify(body), {
      status,
      headers: { "content-type": "application/json", ...headers },
    });

async function rejection(p: Promise<unknown>): Promise<HarborApiError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof HarborApiError) return err;
    throw err;
  }
  throw new Error("expected a HarborApiError");
}

describe("HarborHttp requests", () => {
  it("sends GET below /api/v2.0 with Basic auth, JSON accept, no redirects", async () => {
    const { fetch, seen } = scripted([json(200, { ok: true })]);
    const { http } = client(fetch);
    const res = await http.get({ ...CALL, headers: { "x-accept-vulnerabilities": "a, b" } });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body.toString())).toEqual({ ok: true });
    expect(seen).toHaveLength(1);
    expect(seen[0]?.url).toBe(`https://harbor.example.com/api/v2.0${CALL.path}`);
    const headers = seen[0]?.init.headers as Record<string, string>;
    const basic = Buffer.from(`robot$library+guard:${PASSWORD}`).toString("base64");
    expect(headers.authorization).toBe(`Basic ${basic}`);
    expect(headers.accept).toBe("application/json");
    expect(headers["x-accept-vulnerabilities"]).toBe("a, b");
    expect(seen[0]?.init.method).toBe("GET");
    expect(seen[0]?.init.redirect).toBe("manual");
  });

  it.each([
    ["https://harbor.example.com/", "https://harbor.example.com/api/v2.0"],
    ["https://harbor.example.com/api/v2.0", "https://harbor.example.com/api/v2.0"],
    ["https://harbor.example.com/api/v2.0/", "https://harbor.example.com/api/v2.0"],
    ["http://127.0.0.1:8080/harbor", "http://127.0.0.1:8080/harbor/api/v2.0"],
  ])("takes %s as API root %s", (baseUrl, root) => {
    const { http } = client(scripted([json(200, {})]).fetch, { baseUrl });
    expect(http.apiRoot).toBe(root);
  });

  it("sends no Authorization header without auth", async () => {
    const { fetch, seen } = scripted([json(200, {})]);
    const http = new HarborHttp({ baseUrl: "https://harbor.example.com", fetch });
    await http.get(CALL);
    expect(seen[0]?.init.headers).not.toHaveProperty("authorization");
  });
});

describe("HarborHttp retries", () => {
  it("retries 5xx with growing backoff, then returns the success", async () => {
    const { fetch, seen } = scripted([json(503, {}), json(502, {}), json(200, { n: 3 })]);
    const { http, sleeps } = client(fetch);
    const res = await http.get(CALL);
    expect(res.status).toBe(200);
    expect(seen).toHaveLength(3);
    // random 0.5: three quarters of 200 ms, then of 400 ms.
    expect(sleeps).toEqual([150, 300]);
  });

  it("gives up after maxAttempts and returns the last answer", async () => {
    const { fetch, seen } = scripted([json(500, { errors: [] })]);
    const { http, sleeps } = client(fetch, { maxAttempts: 3 });
    const res = await http.get(CALL);
    expect(res.status).toBe(500);
    expect(seen).toHaveLength(3);
    expect(sleeps).toHaveLength(2);
  });

  it("caps the backoff at maxDelayMs", async () => {
    const { fetch } = scripted([json(500, {})]);
    const { http, sleeps } = client(fetch, { maxAttempts: 6, baseDelayMs: 1000, maxDelayMs: 2000 });
    await http.get(CALL);
    expect(Math.max(...sleeps)).toBeLessThanOrEqual(2000);
  });

  it("waits at least Retry-After on 429", async () => {
    const { fetch } = scripted([json(429, {}, { "retry-after": "3" }), json(200, {})]);
    const { http, sleeps } = client(fetch);
    await http.get(CALL);
    expect(sleeps).toEqual([3000]);
  });

  it("does not retry 4xx, 501 or 505", async () => {
    for (const status of [400, 401, 403, 404, 501, 505]) {
      const { fetch, seen } = scripted([json(status, {})]);
      const { http } = client(fetch);
      expect((await http.get(CALL)).status).toBe(status);
      expect(seen).toHaveLength(1);
    }
  });

  it("retries network failures, then reports Harbor unreachable", async () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
    const { fetch, seen } = scripted([
      () => {
        throw new TypeError("fetch failed", { cause: refused });
      },
    ]);
    const { http, sleeps } = client(fetch);
    const err = await rejection(http.get(CALL));
    expect(err.code).toBe("HARBOR_UNREACHABLE");
    expect(err.message).toContain("ECONNREFUSED");
    expect(err.message).toContain("after 4 attempt(s)");
    expect(seen).toHaveLength(4);
    expect(sleeps).toHaveLength(3);
  });

  it("recovers from one network failure", async () => {
    const { fetch } = scripted([
      () => {
        throw new TypeError("fetch failed", { cause: { code: "ECONNRESET" } });
      },
      json(200, {}),
    ]);
    expect((await client(fetch).http.get(CALL)).status).toBe(200);
  });

  it("does not retry a TLS failure and says what to configure", async () => {
    const { fetch, seen } = scripted([
      () => {
        throw new TypeError("fetch failed", { cause: { code: "DEPTH_ZERO_SELF_SIGNED_CERT" } });
      },
    ]);
    const err = await rejection(client(fetch).http.get(CALL));
    expect(err.code).toBe("HARBOR_TLS_FAILED");
    expect(err.message).toMatch(/CA certificate \(ca\)/);
    expect(seen).toHaveLength(1);
  });

  it("times out an attempt that does not answer", async () => {
    const hanging: HarborFetch = (_url, init) =>
      new Promise((_resolve, reject) => {
        init.signal?.addEventListener("abort", () => reject(init.signal?.reason));
      });
    const { http } = client(hanging, { timeoutMs: 20, maxAttempts: 2 });
    const err = await rejection(http.get(CALL));
    expect(err.code).toBe("HARBOR_UNREACHABLE");
    expect(err.message).toContain("no answer within 20 ms");
  });
});

describe("HarborHttp limits and secrets", () => {
  it("refuses an answer larger than allowed", async () => {
    const big = "x".repeat(2048);
    const { fetch } = scripted([() => new Response(big, { status: 200 })]);
    const err = await rejection(client(fetch).http.get(CALL));
    expect(err.code).toBe("HARBOR_INVALID_RESPONSE");
    expect(err.message).toMatch(/1024 bytes/);
  });

  it("refuses by Content-Length before reading", async () => {
    const { fetch } = scripted([
      () => new Response("{}", { status: 200, headers: { "content-length": "999999" } }),
    ]);
    const err = await rejection(client(fetch).http.get(CALL));
    expect(err.code).toBe("HARBOR_INVALID_RESPONSE");
  });

  it("cuts an oversized error answer instead of failing", async () => {
    const { fetch } = scripted([() => new Response("e".repeat(100_000), { status: 400 })]);
    const res = await client(fetch).http.get(CALL);
    expect(res.status).toBe(400);
    expect(res.body.length).toBe(64 * 1024);
  });

  it("keeps Harbor's request id", async () => {
    const { fetch } = scripted([json(200, {}, { "x-request-id": "req-123" })]);
    expect((await client(fetch).http.get(CALL)).requestId).toBe("req-123");
  });

  it("scrubs the password and the Basic value from error text", () => {
    const { http } = client(scripted([json(200, {})]).fetch);
    const basic = Buffer.from(`robot$library+guard:${PASSWORD}`).toString("base64");
    const err = http.error("HARBOR_REQUEST_FAILED", CALL, `echo ${PASSWORD} and ${basic}`);
    expect(err.message).not.toContain(PASSWORD);
    expect(err.message).not.toContain(basic);
    expect(err.message).toContain("echo *** and ***");
    expect(err.message).toContain("library/app@sha256:");
  });
});

describe("HarborHttp configuration", () => {
  const fetch = scripted([json(200, {})]).fetch;

  it.each([
    ["not a url", /not a URL/],
    ["ftp://harbor.example.com", /http\(s\)/],
    ["https://harbor.example.com/?x=1", /query/],
  ])("refuses baseUrl %s", (baseUrl, message) => {
    expect(() => new HarborHttp({ baseUrl, fetch })).toThrow(message);
  });

  it("refuses credentials in the base URL without echoing them", () => {
    const err = (() => {
      try {
        new HarborHttp({ baseUrl: `https://robot:${PASSWORD}@harbor.example.com`, fetch });
      } catch (e) {
        return e as HarborApiError;
      }
      throw new Error("expected an error");
    })();
    expect(err.code).toBe("HARBOR_INVALID_CONFIG");
    expect(err.message).not.toContain(PASSWORD);
  });

  it("accepts the global fetch (typeof fetch) as its fetch", () => {
    const http = new HarborHttp({ baseUrl: "https://h.example:8443", fetch: globalThis.fetch });
    expect(http.host).toBe("h.example:8443");
  });

  it("refuses fetch together with ca, and a username with a colon", () => {
    expect(() => new HarborHttp({ baseUrl: "https://h.example", fetch, ca: "PEM" })).toThrow(
      /either `fetch` or `ca`/,
    );
    expect(
      () =>
        new HarborHttp({
          baseUrl: "https://h.example",
          fetch,
          auth: { username: "a:b", password: "x" },
        }),
    ).toThrow(/colon/);
  });
});

describe("parseRetryAfter", () => {
  it("reads seconds and HTTP dates, ignores junk", () => {
    const now = Date.parse("2024-01-01T00:00:00Z");
    expect(parseRetryAfter("2", now)).toBe(2000);
    expect(parseRetryAfter("Mon, 01 Jan 2024 00:00:05 GMT", now)).toBe(5000);
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});
