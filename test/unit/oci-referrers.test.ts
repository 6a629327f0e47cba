import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OciClient } from "../../shared/adapters/oci/oci-client.ts";
import { listReferrers, referrersTag } from "../../shared/adapters/oci/oci-referrers.ts";

const SUBJECT = `sha256:${"a".repeat(64)}`;
const REFERRER = {
  mediaType: "application/vnd.oci.image.manifest.v1+json",
  digest: `sha256:${"b".repeat(64)}`,
  size: 500,
  artifactType: "application/vnd.aquasec.trivy.report+json",
};
const INDEX = JSON.stringify({
  schemaVersion: 2,
  mediaType: "application/vnd.oci.image.index.v1+json",
  manifests: [REFERRER],
});

// One repository on a registry with the referrers API (OCI distribution 1.1), one without.
let server: http.Server;
let client: OciClient;
const seen: string[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    seen.push(path);
    if (path === `/v2/modern/referrers/${SUBJECT}`) {
      return void res
        .writeHead(200, { "content-type": "application/vnd.oci.image.index.v1+json" })
        .end(INDEX);
    }
    if (path === `/v2/legacy/manifests/${referrersTag(SUBJECT)}`) {
      return void res
        .writeHead(200, { "content-type": "application/vnd.oci.image.index.v1+json" })
        .end(INDEX);
    }
    res.writeHead(404).end("404 page not found");
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

describe("listReferrers", () => {
  it("uses the referrers API where the registry has one", async () => {
    expect(await listReferrers(client, "modern", SUBJECT)).toEqual({
      descriptors: [REFERRER],
      via: "referrers-api",
    });
  });

  it("falls back to the sha256-<hex> tag when the API answers 404", async () => {
    seen.length = 0;
    expect(await listReferrers(client, "legacy", SUBJECT)).toEqual({
      descriptors: [REFERRER],
      via: "tag-schema",
    });
    expect(seen).toEqual([
      `/v2/legacy/referrers/${SUBJECT}`,
      `/v2/legacy/manifests/sha256-${"a".repeat(64)}`,
    ]);
  });

  it("finds nothing when neither has anything", async () => {
    expect(await listReferrers(client, "empty", SUBJECT)).toEqual({
      descriptors: [],
      via: "tag-schema",
    });
  });
});

describe("referrersTag", () => {
  it("replaces the colon and truncates as the spec says", () => {
    expect(referrersTag(SUBJECT)).toBe(`sha256-${"a".repeat(64)}`);
    expect(referrersTag(`sha512:${"c".repeat(128)}`)).toBe(`sha512-${"c".repeat(64)}`);
  });
});
