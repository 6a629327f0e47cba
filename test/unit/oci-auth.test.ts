import http from "node:http";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { OciAuth, repositoryScope } from "../../shared/adapters/oci/oci-auth.ts";
import { OciClient } from "../../shared/adapters/oci/oci-client.ts";
import { OciRegistryError } from "../../shared/adapters/oci/oci-errors.ts";
import { OciHttpClient } from "../../shared/adapters/oci/oci-http-client.ts";
import { getManifest } from "../../shared/adapters/oci/oci-manifest.ts";

// A fake registry implementing the distribution token spec's dance: requests without a valid
// token get 401 + `WWW-Authenticate: Bearer realm,service,scope`; the realm hands out tokens
// for Basic credentials; the registry accepts a token only for the scopes it was issued for.

const USER = "robot$ci";
const PASSWORD = "p4ss-w0rd-s3cret";
const SERVICE = "fake-registry";

interface Issued {
  token: string;
  scopes: string[];
}

let server: http.Server;
let base: string;
let issued: Issued[];
let tokenQueries: URLSearchParams[];
let tokenAuth: (string | undefined)[];
let expiresIn: number | undefined;
/** When set, the registry echoes the Authorization header in its 500 error body. */
let echoAuthOn500: boolean;
let grantNothing: boolean;

function requiredScope(path: string, method: string): string {
  const m = /^\/v2\/(.+)\/(manifests|blobs|tags)\//.exec(path);
  const repo = m?.[1] ?? "";
  return repositoryScope(repo, method === "DELETE" ? "delete" : "pull");
}

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    if (url.pathname === "/token") {
      tokenQueries.push(url.searchParams);
      tokenAuth.push(req.headers.authorization);
      const basic = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString("base64")}`;
      if (req.headers.authorization !== undefined && req.headers.authorization !== basic) {
        res.writeHead(401, { "content-type": "application/json" });
        res.end('{"errors":[{"code":"UNAUTHORIZED","message":"bad creds"}]}');
        return;
      }
      const token = `tok-${issued.length + 1}-${Math.random().toString(36).slice(2)}`;
      const scopes = grantNothing ? [] : url.searchParams.getAll("scope");
      issued.push({ token, scopes });
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ token, ...(expiresIn ? { expires_in: expiresIn } : {}) }));
      return;
    }
    const scope = requiredScope(url.pathname, req.method ?? "GET");
    const auth = req.headers.authorization ?? "";
    const grant = issued.find((i) => `Bearer ${i.token}` === auth);
    if (!grant?.scopes.includes(scope)) {
      res.writeHead(401, {
        "www-authenticate": `Bearer realm="${base}/token",service="${SERVICE}",scope="${scope}"`,
        "content-type": "application/json",
      });
      res.end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}');
      return;
    }
    if (echoAuthOn500) {
      res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ errors: [{ code: "UNKNOWN", message: `bad header ${auth}` }] }));
      return;
    }
    res.writeHead(200, { "content-type": "application/json" });
    res.end('{"name":"x","tags":["a"]}');
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const addr = server.address();
  base = `http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

beforeEach(() => {
  issued = [];
  tokenQueries = [];
  tokenAuth = [];
  expiresIn = undefined;
  echoAuthOn500 = false;
  grantNothing = false;
});

let clock = 0;
function client(
  credentials: { username: string; password: string } | null = {
    username: USER,
    password: PASSWORD,
  },
) {
  clock = 1_000_000;
  return new OciClient({
    url: base,
    ...(credentials ? { credentials } : {}),
    now: () => clock,
    http: { maxAttempts: 1 },
  });
}

function tagsCall(repo: string) {
  return {
    operation: "ListTags",
    target: { repository: repo },
    method: "GET" as const,
    path: `/v2/${repo}/tags/list`,
    scopes: [repositoryScope(repo, "pull")],
  };
}

describe("bearer-token flow against a fake token server", () => {
  it("answers the challenge with a token for the challenge's scope, then retries", async () => {
    const c = client();
    const res = await c.send(tagsCall("team/app"));
    expect(res.status).toBe(200);
    expect(tokenQueries).toHaveLength(1);
    expect(tokenQueries[0]?.get("service")).toBe(SERVICE);
    expect(tokenQueries[0]?.getAll("scope")).toEqual(["repository:team/app:pull"]);
    expect(tokenQueries[0]?.get("account")).toBe(USER);
    expect(tokenAuth[0]).toBe(`Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString("base64")}`);
    c.close();
  });

  it("caches the token per scope until it is about to expire", async () => {
    expiresIn = 120;
    const c = client();
    await c.send(tagsCall("team/app"));
    await c.send(tagsCall("team/app"));
    expect(issued).toHaveLength(1);

    // Another scope: another token, fetched up front now that the realm is known.
    await c.send(tagsCall("team/other"));
    expect(issued).toHaveLength(2);

    // Within the renewal margin (10 s before expiry): renewed before sending.
    clock += 111_000;
    await c.send(tagsCall("team/app"));
    expect(issued).toHaveLength(3);
    expect(c.auth.tokenRequests).toBe(3);
    c.close();
  });

  it("asks anonymously when no credentials are configured", async () => {
    const c = client(null);
    expect((await c.send(tagsCall("public/app"))).status).toBe(200);
    expect(tokenAuth).toEqual([undefined]);
    expect(tokenQueries[0]?.has("account")).toBe(false);
    c.close();
  });

  it("fails with OCI_AUTH_FAILED when the token service refuses, never showing the password", async () => {
    const wrong = `${PASSWORD}-typo`;
    const c = client({ username: USER, password: wrong });
    const err = await c.send(tagsCall("team/app")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OciRegistryError);
    const e = err as OciRegistryError;
    expect(e.code).toBe("OCI_AUTH_FAILED");
    expect(e.operation).toBe("GetToken");
    expect(e.message).toContain(`user "${USER}"`);
    expect(e.message).not.toContain(wrong);
    expect(e.message).not.toContain(Buffer.from(`${USER}:${wrong}`).toString("base64"));
    c.close();
  });

  it("fails when the token does not grant what the registry needs", async () => {
    grantNothing = true;
    const c = client();
    const err = (await c.send(tagsCall("team/app")).catch((e: unknown) => e)) as OciRegistryError;
    expect(err.code).toBe("OCI_AUTH_FAILED");
    expect(err.message).toContain("refused the token issued for repository:team/app:pull");
    c.close();
  });

  it("scrubs tokens and passwords from every error, even one the registry echoes back", async () => {
    echoAuthOn500 = true;
    const c = client();
    const err = (await getManifest(c, "team/app", "v1").catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(OciRegistryError);
    const token = issued[0]?.token ?? "";
    expect(token).not.toBe("");
    expect(err.message).toContain("bad header Bearer ***");
    expect(err.message).not.toContain(token);
    const scrubbed = c.scrub(new Error(`said ${PASSWORD} and ${token}`));
    expect(scrubbed.message).toBe("said *** and ***");
    c.close();
  });
});

describe("OciAuth challenges", () => {
  const http1 = new OciHttpClient({ maxAttempts: 1 });
  afterAll(() => http1.close());

  it("uses Basic after a Basic challenge, and gives up when Basic was already refused", async () => {
    const auth = new OciAuth({
      registry: "r",
      registryUrl: new URL("https://r.example"),
      credentials: { username: "u", password: "pw-123456" },
      http: http1,
    });
    expect(await auth.headerFor(["repository:a:pull"])).toBeUndefined();
    expect(await auth.onChallenge('Basic realm="x"', [], undefined)).toEqual({ retry: true });
    const header = await auth.headerFor([]);
    expect(header).toBe(`Basic ${Buffer.from("u:pw-123456").toString("base64")}`);
    const again = await auth.onChallenge('Basic realm="x"', [], header);
    expect(again.retry).toBe(false);
  });

  it("refuses to send credentials to a plain-HTTP realm of an HTTPS registry", async () => {
    const auth = new OciAuth({
      registry: "r",
      registryUrl: new URL("https://r.example"),
      credentials: { username: "u", password: "pw-123456" },
      http: http1,
    });
    await expect(
      auth.onChallenge('Bearer realm="http://evil.example/token",service="s"', [], undefined),
    ).rejects.toMatchObject({ code: "OCI_AUTH_FAILED" });
  });

  it("says so when credentials are needed and none are configured", async () => {
    const auth = new OciAuth({
      registry: "r",
      registryUrl: new URL("https://r.example"),
      http: http1,
    });
    const out = await auth.onChallenge('Basic realm="x"', [], undefined);
    expect(out).toEqual({
      retry: false,
      reason: "the registry requires credentials and none are configured",
    });
  });
});
