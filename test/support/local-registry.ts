// The real CNCF distribution registry (Debian's `docker-registry` package), started per test file
// on a free loopback port with its storage in a temp dir. Optional: HTTP Basic (htpasswd), the
// bearer-token flow (a token server below that signs JWTs the registry verifies against its
// root certificate bundle), TLS with a private CA, and webhook notifications.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { createPrivateKey, randomBytes, sign } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import https from "node:https";
import { createServer as createNetServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { stringify } from "yaml";

const run = promisify(execFile);

export interface LocalRegistryOptions {
  auth?: "none" | "basic" | "token";
  notifications?: { url: string; token?: string };
  /** Serve HTTPS with a certificate from a throwaway CA (handed back as `ca`). */
  tls?: boolean;
}

export interface LocalRegistry {
  /** http(s)://127.0.0.1:<port> */
  url: string;
  /** 127.0.0.1:<port>: the registryId of its images. */
  host: string;
  /** The user the registry accepts (basic and token auth). */
  credentials?: { username: string; password: string };
  /** PEM of the CA that signed the registry's certificate (tls). */
  ca?: string;
  /** The filesystem storage root (to tamper with in tests). */
  storageDir: string;
  /** Where the registry keeps a blob's bytes. */
  blobDataPath(digest: string): string;
  /** Token requests the token server answered (token auth). */
  tokenRequests(): number;
  stop(): Promise<void>;
}

/** The registry binary: `docker-registry` on PATH unless DOCKER_REGISTRY_BIN names another. */
function registryBinary(): string {
  return process.env.DOCKER_REGISTRY_BIN ?? "docker-registry";
}
const TOKEN_SERVICE = "registry-guard-test";
const TOKEN_ISSUER = "registry-guard-test-issuer";
const USERNAME = "guard";

/** Starts a registry and waits until `GET /v2/` answers. */
export async function startLocalRegistry(opts: LocalRegistryOptions = {}): Promise<LocalRegistry> {
  const dir = await mkdtemp(join(tmpdir(), "registry-guard-registry-"));
  const storageDir = join(dir, "data");
  const cleanups: (() => Promise<void>)[] = [() => rm(dir, { recursive: true, force: true })];
  const cleanup = async () => {
    for (const c of cleanups.reverse()) await c().catch(() => {});
  };
  try {
    const port = await freePort();
    const host = `127.0.0.1:${port}`;
    const tls = opts.tls ? await makeTlsFiles(dir) : undefined;
    const scheme = tls ? "https" : "http";
    const password = randomBytes(12).toString("base64url");
    const credentials =
      opts.auth && opts.auth !== "none" ? { username: USERNAME, password } : undefined;

    const config: Record<string, unknown> = {
      version: 0.1,
      log: { level: "error", accesslog: { disabled: true } },
      storage: {
        filesystem: { rootdirectory: storageDir },
        delete: { enabled: true },
        maintenance: { uploadpurging: { enabled: false } },
      },
      http: {
        addr: host,
        secret: randomBytes(16).toString("hex"),
        ...(tls ? { tls: { certificate: tls.certFile, key: tls.keyFile } } : {}),
      },
    };
    let token: TokenServer | undefined;
    if (opts.auth === "basic") {
      const htpasswdFile = join(dir, "htpasswd");
      await writeFile(htpasswdFile, await htpasswdLine(USERNAME, password));
      config.auth = { htpasswd: { realm: "registry-guard-test", path: htpasswdFile } };
    } else if (opts.auth === "token") {
      token = await startTokenServer(dir, { username: USERNAME, password }, tls);
      cleanups.push(() => token?.stop() ?? Promise.resolve());
      config.auth = {
        token: {
          realm: `${token.url}/token`,
          service: TOKEN_SERVICE,
          issuer: TOKEN_ISSUER,
          rootcertbundle: token.certFile,
        },
      };
    }
    if (opts.notifications) {
      const n = opts.notifications;
      config.notifications = {
        endpoints: [
          {
            name: "registry-guard",
            url: n.url,
            ...(n.token ? { headers: { Authorization: [`Bearer ${n.token}`] } } : {}),
            timeout: "2s",
            threshold: 3,
            backoff: "1s",
          },
        ],
      };
    }
    const configFile = join(dir, "config.yml");
    await writeFile(configFile, stringify(config));

    const child = await spawnRegistry(configFile);
    cleanups.push(() => stopChild(child));
    const url = `${scheme}://${host}`;
    await waitForApi(url, child, tls?.ca);
    return {
      url,
      host,
      ...(credentials ? { credentials } : {}),
      ...(tls ? { ca: tls.ca } : {}),
      storageDir,
      blobDataPath: (digest) => {
        const hex = digest.replace(/^sha256:/, "");
        return join(storageDir, "docker/registry/v2/blobs/sha256", hex.slice(0, 2), hex, "data");
      },
      tokenRequests: () => token?.requests ?? 0,
      stop: cleanup,
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

async function spawnRegistry(configFile: string): Promise<ChildProcess> {
  const binary = registryBinary();
  const child = spawn(binary, ["serve", configFile], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (c: Buffer) => {
    stderr = (stderr + c.toString()).slice(-4000);
  });
  await new Promise<void>((resolve, reject) => {
    child.once("spawn", () => resolve());
    child.once("error", (err) => {
      const missing = (err as NodeJS.ErrnoException).code === "ENOENT";
      reject(
        new Error(
          missing
            ? `the CNCF distribution registry binary "${binary}" was not found: apt-get install docker-registry`
            : `could not start ${binary}: ${err.message}`,
        ),
      );
    });
  });
  (child as ChildProcess & { stderrTail: () => string }).stderrTail = () => stderr;
  return child;
}

async function waitForApi(url: string, child: ChildProcess, ca: string | undefined): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) {
      const tail = (child as ChildProcess & { stderrTail?: () => string }).stderrTail?.() ?? "";
      throw new Error(`docker-registry exited with ${child.exitCode}: ${tail}`);
    }
    const status = await probe(`${url}/v2/`, ca);
    if (status === 200 || status === 401) return;
    if (Date.now() > deadline) throw new Error(`docker-registry did not answer on ${url} in 15 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function probe(url: string, ca: string | undefined): Promise<number | undefined> {
  return new Promise((resolve) => {
    const secure = url.startsWith("https:");
    const req = (secure ? https : http).get(url, secure && ca ? { ca } : {}, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on("error", () => resolve(undefined));
    req.setTimeout(1000, () => req.destroy());
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
  await exited;
  clearTimeout(timer);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createNetServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function tool(cmd: string, args: string[], pkg: string): Promise<string> {
  try {
    return (await run(cmd, args)).stdout;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") {
      throw new Error(`"${cmd}" was not found: apt-get install ${pkg}`);
    }
    throw err;
  }
}

/** The registry's htpasswd accepts bcrypt only; cost 4 keeps the tests fast. */
async function htpasswdLine(user: string, password: string): Promise<string> {
  return tool("htpasswd", ["-nbB", "-C", "4", user, password], "apache2-utils");
}

interface TlsFiles {
  ca: string;
  certFile: string;
  keyFile: string;
}

/** A throwaway CA and a server certificate for 127.0.0.1 and localhost signed by it. */
async function makeTlsFiles(dir: string): Promise<TlsFiles> {
  const f = (name: string) => join(dir, name);
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  await tool(
    "openssl",
    [
      "req",
      "-x509",
      ...ec,
      "-keyout",
      f("ca.key"),
      "-out",
      f("ca.pem"),
      "-days",
      "2",
      "-subj",
      "/CN=registry-guard test CA",
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign",
    ],
    "openssl",
  );
  await tool(
    "openssl",
    ["req", ...ec, "-keyout", f("server.key"), "-out", f("server.csr"), "-subj", "/CN=127.0.0.1"],
    "openssl",
  );
  await writeFile(
    f("server.ext"),
    "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
  );
  await tool(
    "openssl",
    [
      "x509",
      "-req",
      "-in",
      f("server.csr"),
      "-CA",
      f("ca.pem"),
      "-CAkey",
      f("ca.key"),
      "-CAcreateserial",
      "-out",
      f("server.pem"),
      "-days",
      "2",
      "-extfile",
      f("server.ext"),
    ],
    "openssl",
  );
  return {
    ca: await readFile(f("ca.pem"), "utf8"),
    certFile: f("server.pem"),
    keyFile: f("server.key"),
  };
}

interface TokenServer {
  url: string;
  certFile: string;
  requests: number;
  stop(): Promise<void>;
}

/**
 * The token service of the distribution token spec: Basic credentials in, a JWT out, signed
 * (ES256) with a key whose self-signed certificate is the registry's `rootcertbundle` and rides
 * in the token's `x5c` header. It grants whatever the one user asks for.
 */
async function startTokenServer(
  dir: string,
  user: { username: string; password: string },
  tls: TlsFiles | undefined,
): Promise<TokenServer> {
  const keyFile = join(dir, "token.key");
  const certFile = join(dir, "token.pem");
  await tool(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      keyFile,
      "-out",
      certFile,
      "-days",
      "2",
      "-subj",
      "/CN=registry-guard test token issuer",
    ],
    "openssl",
  );
  const key = createPrivateKey(await readFile(keyFile));
  const certDer = pemToDer(await readFile(certFile, "utf8"));
  const expected = `Basic ${Buffer.from(`${user.username}:${user.password}`).toString("base64")}`;

  const state = { requests: 0 };
  const handler: http.RequestListener = (req, res) => {
    const url = new URL(req.url ?? "/", "http://token");
    if (url.pathname !== "/token") {
      res.writeHead(404).end();
      return;
    }
    state.requests++;
    if (req.headers.authorization !== expected) {
      res.writeHead(401, { "content-type": "application/json" });
      res.end(JSON.stringify({ details: "invalid credentials" }));
      return;
    }
    const access = url.searchParams
      .getAll("scope")
      .flatMap((s) => s.split(" "))
      .filter((s) => s !== "")
      .map((s) => {
        const parts = s.split(":");
        return {
          type: parts[0],
          name: parts.slice(1, -1).join(":"),
          actions: (parts.at(-1) ?? "").split(","),
        };
      });
    const now = Math.floor(Date.now() / 1000);
    const jwt = signJwt(
      { typ: "JWT", alg: "ES256", x5c: [certDer.toString("base64")] },
      {
        iss: TOKEN_ISSUER,
        sub: user.username,
        aud: url.searchParams.get("service") ?? TOKEN_SERVICE,
        exp: now + 300,
        nbf: now - 10,
        iat: now,
        jti: randomBytes(8).toString("hex"),
        access,
      },
      key,
    );
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ token: jwt, expires_in: 300, issued_at: new Date().toISOString() }));
  };
  const server = tls
    ? https.createServer(
        { cert: await readFile(tls.certFile), key: await readFile(tls.keyFile) },
        handler,
      )
    : http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : 0;
  return {
    url: `${tls ? "https" : "http"}://127.0.0.1:${port}`,
    certFile,
    get requests() {
      return state.requests;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function signJwt(header: object, claims: object, key: ReturnType<typeof createPrivateKey>): string {
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const input = `${b64(header)}.${b64(claims)}`;
  // JWS wants the raw r||s form, not DER.
  const sig = sign("sha256", Buffer.from(input), { key, dsaEncoding: "ieee-p1363" });
  return `${input}.${sig.toString("base64url")}`;
}

function pemToDer(pem: string): Buffer {
  const body = pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, "").replace(/\s+/g, "");
  return Buffer.from(body, "base64");
}
