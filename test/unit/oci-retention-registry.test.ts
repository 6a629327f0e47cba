// The OCI retention adapter against a small in-memory registry: what the distribution 2.8
// binary cannot show (a referrers API with paged answers, tags paged by Link headers), and
// failures injected per request (429, 5xx, 405, 403).
import { createHash } from "node:crypto";
import http from "node:http";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { OciRegistry } from "../../shared/adapters/oci/oci-registry.ts";
import { OciRetentionRegistry } from "../../shared/adapters/oci/oci-retention-registry.ts";
import type { Artifact } from "../../shared/domain/retention-inventory.ts";
import type { DeletionResult } from "../../shared/retention/retention-ports.ts";

const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
const IMAGE_CONFIG = "application/vnd.oci.image.config.v1+json";
const SBOM = "application/spdx+json";
const REPO = "team/app";

const sha = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

interface Stored {
  bytes: Buffer;
  mediaType: string;
  subject?: string;
  artifactType?: string;
}

/** One repository's content, and the fault each request path meets first. */
const state = {
  manifests: new Map<string, Stored>(),
  tags: new Map<string, string>(),
  blobs: new Map<string, Buffer>(),
  referrersApi: true,
  tagPageSize: 2,
  /** path → statuses answered before the normal answer (one per request). */
  faults: new Map<string, number[]>(),
  deletes: new Map<string, number>(),
  requests: [] as string[],
};

function reset(): void {
  state.manifests.clear();
  state.tags.clear();
  state.blobs.clear();
  state.faults.clear();
  state.deletes.clear();
  state.requests = [];
  state.referrersApi = true;
}

function putBlob(bytes: Buffer, mediaType: string) {
  const digest = sha(bytes);
  state.blobs.set(digest, bytes);
  return { mediaType, digest, size: bytes.length };
}

/** An image (or artifact, with a subject) stored under its digest and tags. */
function putImage(
  opts: { tags?: string[]; created?: string; subject?: string; artifactType?: string } = {},
) {
  const config = opts.artifactType
    ? putBlob(Buffer.from("{}"), "application/vnd.oci.empty.v1+json")
    : putBlob(
        Buffer.from(JSON.stringify({ created: opts.created, n: Math.random() })),
        IMAGE_CONFIG,
      );
  const layer = putBlob(
    Buffer.from(`layer ${Math.random()}`),
    "application/vnd.oci.image.layer.v1.tar",
  );
  const doc: Record<string, unknown> = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config,
    layers: [layer],
  };
  if (opts.artifactType) doc.artifactType = opts.artifactType;
  if (opts.subject) doc.subject = { mediaType: OCI_MANIFEST, digest: opts.subject, size: 100 };
  const bytes = Buffer.from(JSON.stringify(doc));
  const digest = sha(bytes);
  state.manifests.set(digest, {
    bytes,
    mediaType: OCI_MANIFEST,
    ...(opts.subject ? { subject: opts.subject } : {}),
    ...(opts.artifactType ? { artifactType: opts.artifactType } : {}),
  });
  for (const t of opts.tags ?? []) state.tags.set(t, digest);
  return { digest, size: config.size + layer.size, config };
}

function send(res: http.ServerResponse, status: number, body?: unknown, headers = {}): void {
  const text = body === undefined ? "" : typeof body === "string" ? body : JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", ...headers }).end(text);
}

function handle(req: http.IncomingMessage, res: http.ServerResponse): void {
  const url = new URL(req.url ?? "/", "http://x");
  state.requests.push(`${req.method} ${url.pathname}${url.search}`);
  const fault = state.faults.get(`${req.method} ${url.pathname}`)?.shift();
  if (fault !== undefined) {
    send(res, fault, {
      errors: [{ code: fault === 429 ? "TOOMANYREQUESTS" : "UNKNOWN", message: "injected" }],
    });
    return;
  }
  const m = /^\/v2\/(.+)\/(tags\/list|manifests|blobs|referrers)(?:\/([^/]+))?$/.exec(url.pathname);
  if (!m || m[1] !== REPO) {
    send(res, 404, { errors: [{ code: "NAME_UNKNOWN", message: "repository name not known" }] });
    return;
  }
  const [, , kind, ref = ""] = m;
  if (kind === "tags/list") {
    const all = [...state.tags.keys()].sort();
    const last = url.searchParams.get("last");
    const start = last ? all.indexOf(last) + 1 : 0;
    const page = all.slice(start, start + state.tagPageSize);
    const more = start + state.tagPageSize < all.length;
    send(
      res,
      200,
      { name: REPO, tags: page },
      more
        ? { link: `</v2/${REPO}/tags/list?n=${state.tagPageSize}&last=${page.at(-1)}>; rel="next"` }
        : {},
    );
    return;
  }
  if (kind === "manifests" && req.method === "DELETE") {
    const status = state.deletes.get(ref);
    if (status === undefined || status === 202) {
      const existed = state.manifests.delete(ref);
      for (const [t, d] of state.tags) if (d === ref) state.tags.delete(t);
      send(
        res,
        existed ? 202 : 404,
        existed
          ? undefined
          : { errors: [{ code: "MANIFEST_UNKNOWN", message: "manifest unknown" }] },
      );
      return;
    }
    send(res, status, {
      errors: [{ code: status === 405 ? "UNSUPPORTED" : "DENIED", message: "refused" }],
    });
    return;
  }
  if (kind === "manifests") {
    const digest = ref.startsWith("sha256:") ? ref : (state.tags.get(ref) ?? "");
    const found = state.manifests.get(digest);
    if (!found) {
      send(res, 404, { errors: [{ code: "MANIFEST_UNKNOWN", message: "manifest unknown" }] });
      return;
    }
    res
      .writeHead(200, { "content-type": found.mediaType, "docker-content-digest": digest })
      .end(found.bytes);
    return;
  }
  if (kind === "blobs") {
    const blob = state.blobs.get(ref);
    if (!blob) send(res, 404, { errors: [{ code: "BLOB_UNKNOWN", message: "blob unknown" }] });
    else res.writeHead(200, { "content-type": "application/octet-stream" }).end(blob);
    return;
  }
  // referrers: one descriptor per page, so every list of two or more is paged.
  if (!state.referrersApi) {
    send(res, 404, "404 page not found");
    return;
  }
  const all = [...state.manifests]
    .filter(([, s]) => s.subject === ref)
    .map(([digest, s]) => ({
      mediaType: s.mediaType,
      digest,
      size: s.bytes.length,
      ...(s.artifactType ? { artifactType: s.artifactType } : {}),
    }))
    .sort((x, y) => (x.digest < y.digest ? -1 : 1));
  const pageNo = Number(url.searchParams.get("page") ?? "0");
  const more = pageNo + 1 < all.length;
  send(
    res,
    200,
    { schemaVersion: 2, mediaType: OCI_INDEX, manifests: all.slice(pageNo, pageNo + 1) },
    more ? { link: `</v2/${REPO}/referrers/${ref}?page=${pageNo + 1}>; rel="next"` } : {},
  );
}

let server: http.Server;
let registry: OciRegistry;
let sleeps: number[] = [];

beforeAll(async () => {
  server = http.createServer(handle);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : 0;
  registry = new OciRegistry({
    url: `http://127.0.0.1:${port}`,
    http: { maxAttempts: 3, sleep: async (ms) => void sleeps.push(ms), random: () => 0.5 },
  });
});

afterEach(() => {
  reset();
  sleeps = [];
});

afterAll(async () => {
  registry.close();
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

const find = (arts: Artifact[], digest: string) => arts.find((x) => x.digest === digest);

describe("inventory on a registry with the referrers API", () => {
  it("reads every tag page, follows referrers pages and referrers of referrers", async () => {
    sleeps = [];
    const img = putImage({ tags: ["a", "b", "c", "d", "e"], created: "2025-02-03T04:05:06Z" });
    const other = putImage({ tags: ["z"] });
    const sbom = putImage({ subject: img.digest, artifactType: SBOM });
    const sig1 = putImage({ subject: img.digest, artifactType: "application/sig" });
    const sbomSig = putImage({ subject: sbom.digest, artifactType: "application/sig" });

    const inv = await new OciRetentionRegistry(registry).inventory(REPO);
    expect(inv.artifacts.map((x) => x.digest).sort()).toEqual(
      [img, other, sbom, sig1, sbomSig].map((x) => x.digest).sort(),
    );
    expect(find(inv.artifacts, img.digest)).toMatchObject({
      tags: ["a", "b", "c", "d", "e"],
      sizeBytes: img.size,
      pushedAt: "2025-02-03T04:05:06.000Z",
    });
    expect(find(inv.artifacts, sbom.digest)).toMatchObject({
      tags: [],
      subject: img.digest,
      artifactType: SBOM,
    });
    expect(find(inv.artifacts, sig1.digest)?.subject).toBe(img.digest);
    expect(find(inv.artifacts, sbomSig.digest)?.subject).toBe(sbom.digest);
    // 6 tags over 3 pages of 2.
    expect(state.requests.filter((r) => r.includes("/tags/list"))).toHaveLength(3);
    // One referrers call per manifest, plus the second page of img's two referrers.
    expect(state.requests.filter((r) => r.includes("/referrers/"))).toHaveLength(5 + 1);
    // Referrers' configs are not read for a push time.
    expect(state.requests.filter((r) => r.includes("/blobs/"))).toHaveLength(2);
  });

  it("falls back to no referrers API after one 404, without asking again", async () => {
    state.referrersApi = false;
    const img = putImage({ tags: ["a"] });
    putImage({ tags: ["b"] });
    putImage({ subject: img.digest, artifactType: SBOM }); // unreachable without the API or a tag index
    const inv = await new OciRetentionRegistry(registry).inventory(REPO);
    expect(inv.artifacts).toHaveLength(2);
    expect(state.requests.filter((r) => r.includes("/referrers/"))).toHaveLength(1);
  });

  it("retries a throttled manifest read and still lists every tag", async () => {
    const img = putImage({ tags: ["a", "b"] });
    state.faults.set("GET /v2/team/app/manifests/b", [429, 503]);
    const inv = await new OciRetentionRegistry(registry).inventory(REPO);
    expect(inv.artifacts.map((x) => x.tags)).toEqual([["a", "b"]]);
    expect(find(inv.artifacts, img.digest)?.tags).toEqual(["a", "b"]);
    expect(sleeps).toHaveLength(2);
  });

  it("fails rather than return an inventory missing a tag", async () => {
    putImage({ tags: ["a", "b"] });
    state.faults.set("GET /v2/team/app/manifests/b", [500, 500, 500]);
    await expect(new OciRetentionRegistry(registry).inventory(REPO)).rejects.toMatchObject({
      code: "OCI_REQUEST_FAILED",
      status: 500,
    });
  });

  it("refuses a config whose bytes do not hash to its digest", async () => {
    const img = putImage({ tags: ["a"], created: "2025-01-01T00:00:00Z" });
    state.blobs.set(img.config.digest, Buffer.from('{"created":"2020-01-01T00:00:00Z"}'));
    await expect(new OciRetentionRegistry(registry).inventory(REPO)).rejects.toMatchObject({
      code: "OCI_INVALID_RESPONSE",
      message: expect.stringContaining("hash"),
    });
    // With a recorded push time the config is never read.
    const inv = await new OciRetentionRegistry(registry, {
      pushedAt: async () => "2025-05-05T00:00:00.000Z",
    }).inventory(REPO);
    expect(inv.artifacts[0]?.pushedAt).toBe("2025-05-05T00:00:00.000Z");
  });
});

describe("deleteManifests", () => {
  const digest = (c: string) => `sha256:${c.repeat(64)}`;

  it("reports deleted, already-gone and failed per digest, in order, retrying throttling", async () => {
    const a = putImage({ tags: ["a"] });
    const b = putImage({ tags: ["b"] });
    const c = putImage({ tags: ["c"] });
    state.faults.set(`DELETE /v2/team/app/manifests/${b.digest}`, [429]);
    state.deletes.set(c.digest, 500);
    const seen: DeletionResult[] = [];
    const results = await new OciRetentionRegistry(registry).deleteManifests(
      REPO,
      [a.digest, digest("e"), c.digest, b.digest],
      (r) => seen.push(r),
    );
    expect(results).toEqual([
      { digest: a.digest, outcome: "deleted" },
      { digest: digest("e"), outcome: "already-gone" },
      {
        digest: c.digest,
        outcome: "failed",
        code: "HTTP 500",
        message: expect.stringContaining("HTTP 500"),
      },
      { digest: b.digest, outcome: "deleted" },
    ]);
    expect(seen).toEqual(results);
    expect(sleeps.length).toBe(1 + 2); // b's 429 once, c's 500 twice (3 attempts)
    expect([...state.tags.keys()]).toEqual(["c"]);
  });

  it("stops with OCI_DELETE_UNSUPPORTED when the registry has deletes disabled (405)", async () => {
    const a = putImage({ tags: ["a"] });
    const b = putImage({ tags: ["b"] });
    state.deletes.set(b.digest, 405);
    const seen: DeletionResult[] = [];
    const run = new OciRetentionRegistry(registry).deleteManifests(
      REPO,
      [a.digest, b.digest, digest("f")],
      (r) => seen.push(r),
    );
    await expect(run).rejects.toMatchObject({
      name: "OciRegistryError",
      code: "OCI_DELETE_UNSUPPORTED",
      status: 405,
      message: expect.stringContaining("storage.delete.enabled: true"),
    });
    expect(seen).toEqual([{ digest: a.digest, outcome: "deleted" }]);
    expect(state.requests.filter((r) => r.startsWith("DELETE"))).toHaveLength(2);
  });

  it("stops when the user may not delete (403)", async () => {
    const a = putImage({ tags: ["a"] });
    state.deletes.set(a.digest, 403);
    await expect(
      new OciRetentionRegistry(registry).deleteManifests(REPO, [a.digest]),
    ).rejects.toMatchObject({ code: "OCI_ACCESS_DENIED" });
  });
});
