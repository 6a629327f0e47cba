import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listRepositories, listTags, nextPage } from "../../shared/adapters/oci/oci-catalog.ts";
import { OciClient } from "../../shared/adapters/oci/oci-client.ts";

// A registry that pages tags the way the distribution spec describes (`n`, `last`, Link), which
// the distribution 2.8 binary does not do for tags.
const TAGS = ["a", "b", "c", "d", "e"];
let server: http.Server;
let client: OciClient;
let requests: string[];
let mode: "spec" | "loop" | "elsewhere";

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    requests.push(`${url.pathname}${url.search}`);
    if (url.pathname === "/v2/missing/tags/list") {
      res
        .writeHead(404)
        .end(
          '{"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known to registry"}]}',
        );
      return;
    }
    if (url.pathname === "/v2/_catalog") {
      res.writeHead(200, { "content-type": "text/html" }).end("<html>maintenance</html>");
      return;
    }
    const n = Number(url.searchParams.get("n") ?? "100");
    const last = url.searchParams.get("last");
    const start = last ? TAGS.indexOf(last) + 1 : 0;
    const page = TAGS.slice(start, start + n);
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (mode === "loop") headers.link = `</v2/app/tags/list?n=${n}>; rel="next"`;
    else if (mode === "elsewhere")
      headers.link = `<http://elsewhere.example/v2/app/tags/list?n=${n}>; rel="next"`;
    else if (start + n < TAGS.length) {
      headers.link = `</v2/app/tags/list?n=${n}&last=${page.at(-1)}>; rel="next"`;
    }
    res.writeHead(200, headers).end(JSON.stringify({ name: "app", tags: page }));
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

describe("listTags pagination", () => {
  it("follows Link headers with n=2 over 5 tags", async () => {
    requests = [];
    mode = "spec";
    expect(await listTags(client, "app", { pageSize: 2 })).toEqual(TAGS);
    expect(requests).toEqual([
      "/v2/app/tags/list?n=2",
      "/v2/app/tags/list?n=2&last=b",
      "/v2/app/tags/list?n=2&last=d",
    ]);
  });

  it("detects a Link that points back to a page already read", async () => {
    requests = [];
    mode = "loop";
    await expect(listTags(client, "app", { pageSize: 2 })).rejects.toMatchObject({
      code: "OCI_INVALID_RESPONSE",
      message: expect.stringContaining("pagination loop"),
    });
    expect(requests).toHaveLength(1);
  });

  it("refuses to follow a Link to another origin (it would carry our credentials)", async () => {
    mode = "elsewhere";
    await expect(listTags(client, "app", { pageSize: 2 })).rejects.toMatchObject({
      code: "OCI_INVALID_RESPONSE",
      message: expect.stringContaining("another origin"),
    });
  });

  it("has no tags for a repository the registry does not know", async () => {
    expect(await listTags(client, "missing")).toEqual([]);
  });

  it("reports a catalog that is not JSON", async () => {
    mode = "spec";
    await expect(listRepositories(client)).rejects.toMatchObject({
      code: "OCI_INVALID_RESPONSE",
      message: expect.stringContaining("not JSON"),
    });
  });
});

describe("nextPage", () => {
  const base = new URL("https://r.example");
  it("finds rel=next among several links, relative or absolute", () => {
    expect(nextPage('</v2/_catalog?last=b&n=2>; rel="next"', base)).toBe("/v2/_catalog?last=b&n=2");
    expect(
      nextPage('<https://r.example/v2/a/tags/list?n=1&last=x>; rel=next, </p>; rel="prev"', base),
    ).toBe("/v2/a/tags/list?n=1&last=x");
    expect(nextPage('</p>; rel="prev", </q>; rel="next"', base)).toBe("/q");
    expect(nextPage('</p>; rel="prev"', base)).toBeUndefined();
    expect(nextPage(undefined, base)).toBeUndefined();
  });
});
