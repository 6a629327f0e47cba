import http from "node:http";
import { createServer as createNetServer } from "node:net";
import fc from "fast-check";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parseRetryAfter } from "../../shared/adapters/http-retry.ts";
import { HttpTransportError, OciHttpClient } from "../../shared/adapters/oci/oci-http-client.ts";

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

let handler: Handler;
let server: http.Server;
let other: http.Server;
let base: string;
let otherBase: string;
let seenByOther: (string | undefined)[];

async function listen(s: http.Server): Promise<string> {
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  const addr = s.address();
  return `http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}`;
}

beforeAll(async () => {
  server = http.createServer((req, res) => handler(req, res));
  other = http.createServer((req, res) => {
    seenByOther.push(req.headers.authorization);
    res.writeHead(200).end("from storage");
  });
  base = await listen(server);
  otherBase = await listen(other);
});

afterAll(async () => {
  for (const s of [server, other]) {
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
});

beforeEach(() => {
  seenByOther = [];
});

function client(opts: { maxAttempts?: number; timeoutMs?: number } = {}) {
  const sleeps: number[] = [];
  const c = new OciHttpClient({
    maxAttempts: opts.maxAttempts ?? 4,
    timeoutMs: opts.timeoutMs ?? 2000,
    baseDelayMs: 100,
    maxDelayMs: 1000,
    random: () => 0.5,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  });
  return { c, sleeps };
}

const get = (path: string, headers: Record<string, string> = {}) => ({
  method: "GET" as const,
  url: new URL(path, base),
  headers,
});

describe("OciHttpClient retries", () => {
  it("retries 503 and 429 with growing backoff, then returns the success", async () => {
    let n = 0;
    handler = (_req, res) => {
      n++;
      if (n === 1) res.writeHead(503).end();
      else if (n === 2) res.writeHead(429).end();
      else res.writeHead(200).end("ok");
    };
    const { c, sleeps } = client();
    const res = await c.send(get("/v2/"));
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe("ok");
    expect(n).toBe(3);
    expect(sleeps).toEqual([75, 150]); // 100·2^(k-1), half fixed + half jitter at random()=0.5
    c.close();
  });

  it("waits at least Retry-After", async () => {
    let n = 0;
    handler = (_req, res) => {
      n++;
      if (n === 1) res.writeHead(429, { "retry-after": "3" }).end();
      else res.writeHead(200).end();
    };
    const { c, sleeps } = client();
    expect((await c.send(get("/v2/"))).status).toBe(200);
    expect(sleeps).toEqual([3000]);
    c.close();
  });

  it("is bounded: the last answer comes back after maxAttempts", async () => {
    let n = 0;
    handler = (_req, res) => {
      n++;
      res.writeHead(502).end();
    };
    const { c, sleeps } = client({ maxAttempts: 3 });
    expect((await c.send(get("/v2/"))).status).toBe(502);
    expect(n).toBe(3);
    expect(sleeps).toHaveLength(2);
    c.close();
  });

  it("does not retry what waiting cannot fix (4xx, 501)", async () => {
    for (const status of [400, 404, 501]) {
      let n = 0;
      handler = (_req, res) => {
        n++;
        res.writeHead(status).end();
      };
      const { c } = client();
      expect((await c.send(get("/x"))).status).toBe(status);
      expect(n).toBe(1);
      c.close();
    }
  });

  it("gives up with OCI_UNREACHABLE when nothing listens", async () => {
    const probe = createNetServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", () => r()));
    const addr = probe.address();
    const port = typeof addr === "object" && addr ? addr.port : 0;
    await new Promise<void>((r) => probe.close(() => r()));

    const { c, sleeps } = client({ maxAttempts: 2 });
    const err = await c
      .send({ method: "GET", url: new URL(`http://127.0.0.1:${port}/v2/`) })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpTransportError);
    expect((err as HttpTransportError).code).toBe("OCI_UNREACHABLE");
    expect((err as HttpTransportError).attempts).toBe(2);
    expect((err as Error).message).toContain("ECONNREFUSED");
    expect(sleeps).toHaveLength(1);
    c.close();
  });

  it("times out a silent server", async () => {
    handler = () => {
      // never answers
    };
    const { c } = client({ maxAttempts: 1, timeoutMs: 100 });
    const err = await c.send(get("/slow")).catch((e: unknown) => e);
    expect((err as HttpTransportError).code).toBe("OCI_UNREACHABLE");
    expect((err as Error).message).toContain("ETIMEDOUT");
    c.close();
  });
});

describe("OciHttpClient redirects and limits", () => {
  it("follows a redirect to storage without sending the registry's Authorization", async () => {
    handler = (_req, res) => res.writeHead(307, { location: `${otherBase}/blob?sig=1` }).end();
    const { c } = client();
    const res = await c.send(get("/v2/a/blobs/sha256:x", { authorization: "Bearer secret" }));
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe("from storage");
    expect(res.url.origin).toBe(otherBase);
    expect(seenByOther).toEqual([undefined]);
    c.close();
  });

  it("keeps Authorization on a same-origin redirect", async () => {
    const seen: (string | undefined)[] = [];
    handler = (req, res) => {
      seen.push(req.headers.authorization);
      if (req.url === "/first") res.writeHead(302, { location: "/second" }).end();
      else res.writeHead(200).end();
    };
    const { c } = client();
    await c.send(get("/first", { authorization: "Bearer t" }));
    expect(seen).toEqual(["Bearer t", "Bearer t"]);
    c.close();
  });

  it("refuses an answer larger than maxBodyBytes", async () => {
    handler = (_req, res) => res.writeHead(200).end(Buffer.alloc(5000));
    const { c } = client();
    const err = await c.send({ ...get("/big"), maxBodyBytes: 1000 }).catch((e: unknown) => e);
    expect((err as HttpTransportError).code).toBe("OCI_INVALID_RESPONSE");
    c.close();
  });

  it("streams a 2xx body and buffers an error body", async () => {
    handler = (req, res) => {
      if (req.url === "/ok") res.writeHead(200).end("streamed");
      else res.writeHead(404).end('{"errors":[]}');
    };
    const { c } = client();
    const ok = await c.open(get("/ok"));
    const chunks: Buffer[] = [];
    for await (const chunk of ok.stream ?? []) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe("streamed");
    const missing = await c.open(get("/missing"));
    expect(missing.stream).toBeUndefined();
    expect(missing.body?.toString()).toBe('{"errors":[]}');
    c.close();
  });
});

describe("parseRetryAfter", () => {
  it("reads delta-seconds and HTTP dates, and ignores junk", () => {
    const now = Date.parse("2024-01-01T00:00:00Z");
    expect(parseRetryAfter("120", now)).toBe(120_000);
    expect(parseRetryAfter("Mon, 01 Jan 2024 00:00:30 GMT", now)).toBe(30_000);
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    fc.assert(
      fc.property(fc.nat({ max: 1_000_000 }), (s) => parseRetryAfter(String(s), now) === s * 1000),
    );
  });
});
