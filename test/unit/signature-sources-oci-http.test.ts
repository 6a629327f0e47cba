import http from "node:http";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { OciClient } from "../../shared/adapters/oci/oci-client.ts";
import { SIGSTORE_BUNDLE_V03_MEDIA_TYPE } from "../../shared/signatures/signature-formats.ts";
import { ociSignatureBlobs } from "../../shared/signatures/sources/oci-signature-blob.ts";
import { ociSignatureReferrers } from "../../shared/signatures/sources/oci-signature-referrers.ts";
import { digestOf } from "../support/cosign-vectors.ts";

// A registry with the referrers API, paging its answer, and blob answers a real registry would not
// give: a lying Content-Length, an endless body, other bytes than the digest names.
const SUBJECT = `sha256:${"a".repeat(64)}`;
const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
const descriptor = (n: string, artifactType: string) => ({
  mediaType: "application/vnd.oci.image.manifest.v1+json",
  digest: `sha256:${n.repeat(64)}`,
  size: 400,
  artifactType,
});
const PAGES = [
  [descriptor("b", SIGSTORE_BUNDLE_V03_MEDIA_TYPE), descriptor("c", "application/spdx+json")],
  [descriptor("d", "application/vnd.dev.cosign.artifact.sig.v1+json")],
];
const BLOB = Buffer.from("a cosign payload");

let server: http.Server;
let client: OciClient;
let blobRequests: { path: string; closedEarly: boolean; sent: number }[] = [];
/** How the server answers for a blob digest; unknown digests get a 404. */
const modes = new Map<string, string>();

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    if (url.pathname === `/v2/app/referrers/${SUBJECT}`) {
      const page = Number(url.searchParams.get("page") ?? "0");
      const link =
        page + 1 < PAGES.length
          ? { link: `</v2/app/referrers/${SUBJECT}?page=${page + 1}>; rel="next"` }
          : {};
      res.writeHead(200, { "content-type": OCI_INDEX, ...link });
      res.end(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: PAGES[page] }));
      return;
    }
    const blob = /^\/v2\/app\/blobs\/(sha256:[a-f0-9]{64})$/.exec(url.pathname);
    if (!blob) return void res.writeHead(404).end();
    const record = { path: url.pathname, closedEarly: false, sent: 0 };
    blobRequests.push(record);
    res.on("close", () => {
      record.closedEarly = !res.writableFinished;
    });
    const behaviour = modes.get(blob[1] as string);
    if (behaviour === "huge-length" || behaviour === "endless") {
      res.writeHead(200, behaviour === "huge-length" ? { "content-length": String(2 ** 30) } : {});
      const timer = setInterval(() => {
        if (res.destroyed) return clearInterval(timer);
        record.sent += 16 * 1024;
        res.write(Buffer.alloc(16 * 1024));
      }, 2);
      res.on("close", () => clearInterval(timer));
      return;
    }
    if (behaviour === "other-bytes") return void res.writeHead(200).end(Buffer.from("tampered"));
    if (behaviour === "ok") return void res.writeHead(200).end(BLOB);
    res.writeHead(404, { "content-type": "application/json" });
    res.end('{"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown to registry"}]}');
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

const digestFor = (mode: string, n: string) => {
  const d = `sha256:${n.repeat(64)}`;
  modes.set(d, mode);
  return d;
};

beforeEach(() => {
  blobRequests = [];
});

describe("ociSignatureReferrers", () => {
  it("follows every page of the referrers API and keeps signature artifact types only", async () => {
    expect(await ociSignatureReferrers(client, "app", SUBJECT)).toEqual([
      `sha256:${"b".repeat(64)}`,
      `sha256:${"d".repeat(64)}`,
    ]);
  });
});

describe("ociSignatureBlobs", () => {
  const fetchBlob = () => ociSignatureBlobs(client, "app");

  it("returns the bytes when they hash to the digest", async () => {
    const digest = digestOf(BLOB);
    modes.set(digest, "ok");
    expect(Buffer.from(await fetchBlob()(digest, 1024)).equals(BLOB)).toBe(true);
  });

  it("refuses a Content-Length over the bound and closes the body unread", async () => {
    const digest = digestFor("huge-length", "1");
    await expect(fetchBlob()(digest, 64 * 1024)).rejects.toMatchObject({
      name: "SignatureBlobError",
      code: "BLOB_TOO_LARGE",
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(blobRequests[0]?.closedEarly).toBe(true);
    expect(blobRequests[0]?.sent ?? 0).toBeLessThan(64 * 1024);
  });

  it("cuts off a body without Content-Length once it passes the bound", async () => {
    const digest = digestFor("endless", "2");
    await expect(fetchBlob()(digest, 64 * 1024)).rejects.toMatchObject({ code: "BLOB_TOO_LARGE" });
    await new Promise((r) => setTimeout(r, 50));
    expect(blobRequests[0]?.closedEarly).toBe(true);
  });

  it("throws BLOB_DIGEST_MISMATCH for other bytes than the digest names", async () => {
    const digest = digestFor("other-bytes", "3");
    await expect(fetchBlob()(digest, 1024)).rejects.toMatchObject({
      code: "BLOB_DIGEST_MISMATCH",
      digest,
    });
  });

  it("throws BLOB_MISSING on a 404 and refuses a digest that is not sha256", async () => {
    await expect(fetchBlob()(`sha256:${"4".repeat(64)}`, 1024)).rejects.toMatchObject({
      code: "BLOB_MISSING",
    });
    await expect(fetchBlob()("sha512:abc", 1024)).rejects.toMatchObject({
      code: "BLOB_UNAVAILABLE",
    });
    expect(blobRequests).toHaveLength(1);
  });
});
