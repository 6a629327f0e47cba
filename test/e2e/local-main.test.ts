// `npm start` itself (local/main.ts), as a user runs it: it starts everything, prints how to use
// it, runs the demo, stops everything on Ctrl-C (SIGINT), and a second start reuses the data.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePortOutsideEphemeralRange as freePort } from "../../local/port-check.ts";
import { waitFor } from "./local-runtime-harness.ts";

const run = promisify(execFile);
let dataDir: string;
let ports: { registry: number; receiver: number; dynamodb: number };
const children: ChildProcess[] = [];

interface Started {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exit: Promise<number | null>;
}

function start(extra: string[] = []): Started {
  const child = spawn(
    "node_modules/.bin/tsx",
    [
      "local/main.ts",
      "--data-dir",
      dataDir,
      "--registry-port",
      String(ports.registry),
      "--receiver-port",
      String(ports.receiver),
      "--dynamodb-port",
      String(ports.dynamodb),
      ...extra,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  children.push(child);
  let out = "";
  let err = "";
  child.stdout?.on("data", (c: Buffer) => {
    out += c.toString();
  });
  child.stderr?.on("data", (c: Buffer) => {
    err += c.toString();
  });
  const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exit };
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once("error", () => resolve(false));
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
  });
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "registry-guard-main-"));
  // Outside the ephemeral range: the ports must still be free for the second start.
  const picked = new Set<number>();
  while (picked.size < 3) picked.add(await freePort());
  const [registry, receiver, dynamodb] = [...picked] as [number, number, number];
  ports = { registry, receiver, dynamodb };
});
afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
  await rm(dataDir, { recursive: true, force: true });
});

describe("npm start (local/main.ts)", () => {
  it("--demo shows a quarantine; Ctrl-C stops everything it started", async () => {
    const app = start(["--demo"]);
    await waitFor("the demo to finish", () => app.stdout().includes("The demo is done"), 60_000);
    const out = app.stdout();
    expect(out).toContain(`localhost:${ports.registry}/prod/alpine`);
    expect(out).toContain("skopeo copy --dest-tls-verify=false");
    expect(out).toContain(
      `--endpoint-dynamodb http://127.0.0.1:${ports.dynamodb} --table registry-guard-audit`,
    );
    expect(out).toContain("tail -f");
    expect(out).toMatch(/pull by tag → HTTP 404, pull by digest → HTTP 404/);

    const secret = (await readFile(join(dataDir, "secret"), "utf8")).trim();
    expect(secret.length).toBeGreaterThanOrEqual(32);
    expect((await stat(join(dataDir, "secret"))).mode & 0o777).toBe(0o600);
    expect(out + app.stderr()).not.toContain(secret);

    app.child.kill("SIGINT");
    expect(await app.exit).toBe(0);
    expect(app.stderr()).toContain("nothing is left running");
    for (const port of Object.values(ports)) expect(await portFree(port)).toBe(true);
  }, 90_000);

  it("a second start reuses the secret and the audit trail", async () => {
    const secretBefore = await readFile(join(dataDir, "secret"), "utf8");
    const app = start();
    await waitFor(
      "the start banner",
      () => app.stdout().includes("Ctrl-C stops everything"),
      30_000,
    );
    expect(app.stderr()).not.toContain("generated the receiver secret");
    expect(await readFile(join(dataDir, "secret"), "utf8")).toBe(secretBefore);

    // The audit query the banner prints, run as printed, finds the demo's records.
    const { stdout } = await run(
      "node_modules/.bin/tsx",
      [
        "cli/main.ts",
        "audit",
        "query",
        "--repository",
        `oci:127.0.0.1:${ports.registry}/prod/demo`,
        "--endpoint-dynamodb",
        `http://127.0.0.1:${ports.dynamodb}`,
        "--table",
        "registry-guard-audit",
        "--json",
      ],
      {
        env: { ...process.env, AWS_ACCESS_KEY_ID: "local", AWS_SECRET_ACCESS_KEY: "local" },
        timeout: 30_000,
      },
    );
    const actions = stdout
      .trim()
      .split("\n")
      .map((l) => (JSON.parse(l) as { record: { action: string } }).record.action);
    expect(actions).toContain("quarantined");

    app.child.kill("SIGTERM");
    expect(await app.exit).toBe(0);
  }, 60_000);

  it("a port in use is a clear error naming the flag, and nothing is started", async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(ports.dynamodb, "127.0.0.1", () => r()));
    try {
      const app = start();
      expect(await app.exit).toBe(1);
      expect(app.stderr()).toContain(`127.0.0.1:${ports.dynamodb}`);
      expect(app.stderr()).toContain("--dynamodb-port");
      expect(await portFree(ports.registry)).toBe(true);
      expect(await portFree(ports.receiver)).toBe(true);
    } finally {
      await new Promise<void>((r) => blocker.close(() => r()));
    }
  }, 30_000);
});
