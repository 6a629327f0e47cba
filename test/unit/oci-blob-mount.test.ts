import { createHash } from "node:crypto";
import http from "node:http";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ensureBlob } from "../../shared/adapters/oci/oci-blob-mount.ts";
import { OciClient } from "../../shared/adapters/oci/oci-client.ts";

// A registry that refuses cross-repository mounts: it answers 202 and opens an upload session,
// as the distribution spec allows (and as registries do across projects or storage backends).
const BYTES = Buffer.from("layer bytes that must arrive intact");
const DIGEST = `sha256:${createHash("sha256").update(BYTES).digest("hex")}`;

let server: http.Server;
let client: OciClient;
let stored: Map<string, Buffer>;
let log: string[];
let mountAnswer: 201 | 202;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    log.push(`${req.method} ${url.pathname}`);
    const blob = /^\/v2\/(.+)\/blobs\/(sha256:[a-f0-9]+)$/.exec(url.pathname);
    if (blob && (req.method === "HEAD" || req.method === "GET")) {
      const bytes = stored.get(`${blob[1]}@${blob[2]}`);
      if (!bytes) return void res.writeHead(404).end();
      return void res
        .writeHead(200, { "content-length": bytes.length })
        .end(req.method === "GET" ? bytes : undefined);
    }
    if (req.method === "POST" && url.pathname === "/v2/quarantine/app/blobs/uploads/") {
      if (mountAnswer === 201) {
        stored.set(`quarantine/app@${url.searchParams.get("mount")}`, BYTES);
        return void res.writeHead(201).end();
      }
      return void res
        .writeHead(202, { location: "/v2/quarantine/app/blobs/uploads/u1?_state=x" })
        .end();
    }
    if (req.method === "PUT" && url.pathname === "/v2/quarantine/app/blobs/uploads/u1") {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = Buffer.concat(chunks);
        const digest = `sha256:${createHash("sha256").update(body).digest("hex")}`;
        if (digest !== url.searchParams.get("digest")) return void res.writeHead(400).end();
        stored.set(`quarantine/app@${digest}`, body);
        res.writeHead(201).end();
      });
      return;
    }
    if (req.method === "DELETE") return void res.writeHead(204).end();
    res.writeHead(500).end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const addr = server.address();
  client = new OciClient({
    url: `http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}`,
    http: { maxAttempts: 1 },
  });
});

afterAll(async () => {
  client.close();
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

beforeEach(() => {
  stored = new Map([[`app@${DIGEST}`, BYTES]]);
  log = [];
});

const move = {
  from: "app",
  to: "quarantine/app",
  blob: { mediaType: "x", digest: DIGEST, size: BYTES.length },
};

describe("ensureBlob", () => {
  it("mounts when the registry can (201): no bytes move", async () => {
    mountAnswer = 201;
    expect(await ensureBlob(client, move)).toBe("mounted");
    expect(log).not.toContain(`GET /v2/app/blobs/${DIGEST}`);
  });

  it("falls back to streaming the blob into the session the registry opened (202)", async () => {
    mountAnswer = 202;
    expect(await ensureBlob(client, move)).toBe("copied");
    expect(stored.get(`quarantine/app@${DIGEST}`)?.equals(BYTES)).toBe(true);
    expect(log).toEqual([
      `HEAD /v2/quarantine/app/blobs/${DIGEST}`,
      "POST /v2/quarantine/app/blobs/uploads/",
      `GET /v2/app/blobs/${DIGEST}`,
      "PUT /v2/quarantine/app/blobs/uploads/u1",
    ]);
  });

  it("does nothing when the target already holds the blob", async () => {
    stored.set(`quarantine/app@${DIGEST}`, BYTES);
    expect(await ensureBlob(client, move)).toBe("present");
    expect(log).toHaveLength(1);
  });

  it("cancels the session and reports a blob missing from the source", async () => {
    mountAnswer = 202;
    stored.clear();
    await expect(ensureBlob(client, move)).rejects.toMatchObject({ code: "OCI_IMAGE_NOT_FOUND" });
    expect(log.at(-1)).toBe("DELETE /v2/quarantine/app/blobs/uploads/u1");
  });
});
