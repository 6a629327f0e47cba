import { readFile } from "node:fs/promises";
import { createServer } from "node:net";

/** A port the runtime needs is taken. */
export class PortInUseError extends Error {
  readonly code = "LOCAL_PORT_IN_USE";
  readonly port: number;
  constructor(what: string, host: string, port: number, flag: string) {
    super(
      `${what} cannot listen on ${host}:${port}: the port is in use (another registry-guard still running? ` +
        `stop it, or pick another port with ${flag} <port>)`,
    );
    this.name = "PortInUseError";
    this.port = port;
  }
}

/** Throws PortInUseError when `host:port` cannot be bound now. */
export async function assertPortFree(
  host: string,
  port: number,
  what: string,
  flag: string,
): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const srv = createServer();
    srv.once("error", (err: NodeJS.ErrnoException) => {
      reject(err.code === "EADDRINUSE" ? new PortInUseError(what, host, port, flag) : err);
    });
    srv.listen({ host, port, exclusive: true }, () => srv.close(() => resolve()));
  });
}

/** A port the OS says is free now (tests and benchmarks: several runtimes side by side). */
export function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * A free port below the kernel's ephemeral range, for a process that binds it itself (the
 * registry child): between this check and its bind, and while it restarts, no `listen(0)` or
 * outgoing connection of another program can be handed the same port.
 */
export async function freePortOutsideEphemeralRange(host = "127.0.0.1"): Promise<number> {
  let low = 32768;
  try {
    const range = await readFile("/proc/sys/net/ipv4/ip_local_port_range", "utf8");
    low = Number(range.trim().split(/\s+/)[0]) || low;
  } catch {
    // not Linux: the usual default
  }
  const from = Math.max(1024, low - 8000);
  for (let i = 0; i < 50; i++) {
    const port = from + Math.floor(Math.random() * (low - from));
    const free = await new Promise<boolean>((resolve) => {
      const srv = createServer();
      srv.once("error", () => resolve(false));
      srv.listen(port, host, () => srv.close(() => resolve(true)));
    });
    if (free) return port;
  }
  return freePort(host);
}
