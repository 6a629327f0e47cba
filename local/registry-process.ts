import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream, type WriteStream } from "node:fs";
import { chmod, writeFile } from "node:fs/promises";
import http from "node:http";
import { stringify } from "yaml";

export interface RegistryProcessOptions {
  /** Path of the `docker-registry` binary (registry-binary.ts). */
  binary: string;
  host: string;
  port: number;
  storageDir: string;
  /** Where the generated config.yml is written (mode 0600: it holds the notification secret). */
  configPath: string;
  /** The registry's own log (appended); none when absent. */
  logPath?: string;
  /** Where the registry sends its notifications, with the shared secret as a Bearer token. */
  notifications?: { url: string; secret: string };
  /** Called when the registry exits without being asked to. */
  onUnexpectedExit?: (
    code: number | null,
    signal: NodeJS.Signals | null,
    stderrTail: string,
  ) => void;
}

/** The registry did not come up. */
export class RegistryStartError extends Error {
  readonly code = "LOCAL_REGISTRY_START";
  constructor(message: string) {
    super(message);
    this.name = "RegistryStartError";
  }
}

export interface RegistryProcess {
  /** http://host:port */
  url: string;
  /** host:port: the registryId of its images. */
  registryHost: string;
  readonly pid: number | undefined;
  /** Stops it (SIGTERM, then SIGKILL after 3 s) and waits for the exit. */
  stop(): Promise<void>;
  /** Sends a signal as is (tests: SIGKILL for an outage, SIGSTOP/SIGCONT for a hang). */
  signal(sig: NodeJS.Signals): void;
  /** Resolves once the process has exited. */
  readonly exited: Promise<void>;
}

/**
 * The distribution registry's configuration: filesystem storage, deletes enabled (quarantine
 * deletes by digest), notifications of manifest pushes and deletes only: blob events
 * (`application/octet-stream`) and pulls are dropped by the registry itself, since the pipeline
 * pulls every image it judges and would otherwise be notified of its own reads.
 */
export function registryConfig(opts: RegistryProcessOptions): Record<string, unknown> {
  return {
    version: 0.1,
    log: { level: "warn", accesslog: { disabled: true } },
    storage: {
      filesystem: { rootdirectory: opts.storageDir },
      delete: { enabled: true },
      maintenance: { uploadpurging: { enabled: false } },
    },
    http: { addr: `${opts.host}:${opts.port}`, secret: randomBytes(16).toString("hex") },
    ...(opts.notifications
      ? {
          notifications: {
            endpoints: [
              {
                name: "registry-guard",
                url: opts.notifications.url,
                headers: { Authorization: [`Bearer ${opts.notifications.secret}`] },
                timeout: "5s",
                threshold: 3,
                backoff: "1s",
                ignore: { mediatypes: ["application/octet-stream"], actions: ["pull"] },
              },
            ],
          },
        }
      : {}),
  };
}

/** Writes the config and starts `docker-registry serve`, resolving once `GET /v2/` answers. */
export async function startRegistryProcess(opts: RegistryProcessOptions): Promise<RegistryProcess> {
  await writeFile(opts.configPath, stringify(registryConfig(opts)), { mode: 0o600 });
  await chmod(opts.configPath, 0o600); // mode above applies only to a new file
  const log: WriteStream | undefined = opts.logPath
    ? createWriteStream(opts.logPath, { flags: "a", mode: 0o600 })
    : undefined;
  const child = spawn(opts.binary, ["serve", opts.configPath], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let tail = "";
  child.stderr?.on("data", (c: Buffer) => {
    tail = (tail + c.toString()).slice(-4000);
    log?.write(c);
  });
  let stopping = false;
  const exited = new Promise<void>((resolve) => {
    child.once("exit", (code, signal) => {
      log?.end();
      if (!stopping) opts.onUnexpectedExit?.(code, signal, tail);
      resolve();
    });
  });
  await new Promise<void>((resolve, reject) => {
    child.once("spawn", () => resolve());
    child.once("error", (err) =>
      reject(new RegistryStartError(`could not start ${opts.binary}: ${err.message}`)),
    );
  });
  const url = `http://${opts.host}:${opts.port}`;
  const stop = async () => {
    stopping = true;
    if (child.exitCode !== null || child.signalCode !== null) return exited;
    child.kill("SIGCONT"); // a paused process cannot act on SIGTERM
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
    await exited;
    clearTimeout(timer);
  };
  try {
    await waitForApi(url, child, () => tail);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url,
    registryHost: `${opts.host}:${opts.port}`,
    get pid() {
      return child.pid;
    },
    stop,
    signal: (sig) => {
      child.kill(sig);
    },
    exited,
  };
}

async function waitForApi(url: string, child: ChildProcess, tail: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) {
      throw new RegistryStartError(
        `the registry exited with code ${child.exitCode} while starting: ${tail().trim() || "(no output)"}`,
      );
    }
    const status = await probe(`${url}/v2/`);
    if (status === 200 || status === 401) return;
    if (Date.now() > deadline) {
      throw new RegistryStartError(
        `the registry did not answer on ${url} within 15 s: ${tail().trim()}`,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

function probe(url: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on("error", () => resolve(undefined));
    req.setTimeout(1000, () => req.destroy());
  });
}
