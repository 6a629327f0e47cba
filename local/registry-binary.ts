import { spawn } from "node:child_process";
import { constants } from "node:fs";
import { access } from "node:fs/promises";
import { delimiter, join } from "node:path";

/** Debian's package of the CNCF distribution registry, and the command it installs. */
export const REGISTRY_PACKAGE = "docker-registry";
export const INSTALL_COMMAND = `apt-get install -y ${REGISTRY_PACKAGE}`;

/** The registry binary is missing and could not be installed here. */
export class RegistryBinaryMissingError extends Error {
  readonly code = "LOCAL_REGISTRY_MISSING";
  /** The exact command that installs it, when there is one. */
  readonly command?: string;
  constructor(why: string, remedy: { command: string } | { advice: string }) {
    super(
      "command" in remedy
        ? `${why}; install it with:\n  ${remedy.command}`
        : `${why}; ${remedy.advice}`,
    );
    this.name = "RegistryBinaryMissingError";
    if ("command" in remedy) this.command = remedy.command;
  }
}

/** The binary's name: `docker-registry` unless DOCKER_REGISTRY_BIN names another. */
export function registryBinaryName(env: NodeJS.ProcessEnv = process.env): string {
  return env.DOCKER_REGISTRY_BIN ?? "docker-registry";
}

/** The binary's path when it is executable (an absolute name, or found on PATH); else null. */
export async function findExecutable(
  name: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string | null> {
  const candidates = name.includes("/")
    ? [name]
    : (env.PATH ?? "")
        .split(delimiter)
        .filter(Boolean)
        .map((dir) => join(dir, name));
  for (const path of candidates) {
    try {
      await access(path, constants.X_OK);
      return path;
    } catch {
      // not here
    }
  }
  return null;
}

export interface EnsureRegistryOptions {
  env?: NodeJS.ProcessEnv;
  /** Where the install notice and apt's output go. */
  notice: (line: string) => void;
  /** Root on a machine with apt-get: then the package is installed. Detected by default. */
  canInstall?: () => Promise<boolean>;
  /** Runs a command with inherited output; resolves with its exit code. */
  run?: (cmd: string, args: string[]) => Promise<number>;
}

/**
 * The registry binary's path. When it is missing and this is root on Debian (apt-get exists),
 * the package is installed, with a notice first; otherwise RegistryBinaryMissingError carries
 * the exact command to run.
 */
export async function ensureRegistryBinary(opts: EnsureRegistryOptions): Promise<string> {
  const env = opts.env ?? process.env;
  const name = registryBinaryName(env);
  const found = await findExecutable(name, env);
  if (found) return found;
  if (name !== "docker-registry") {
    throw new RegistryBinaryMissingError(`DOCKER_REGISTRY_BIN=${name} names no executable file`, {
      advice:
        "unset DOCKER_REGISTRY_BIN to use docker-registry from PATH, or point it at the binary",
    });
  }
  const canInstall = await (opts.canInstall ?? (() => rootWithApt(env)))();
  if (!canInstall) {
    const apt = await findExecutable("apt-get", env);
    throw new RegistryBinaryMissingError(
      `the CNCF distribution registry (${name}) is not installed${apt ? " and this is not root, so it is not installed automatically" : ""}`,
      apt
        ? { command: `sudo ${INSTALL_COMMAND}` }
        : {
            advice: `install your distribution's package of the CNCF distribution registry (Debian: ${INSTALL_COMMAND}), or set DOCKER_REGISTRY_BIN to its binary`,
          },
    );
  }
  const run = opts.run ?? runInherited;
  opts.notice(`registry-guard: installing the CNCF distribution registry: ${INSTALL_COMMAND}`);
  let code = await run("apt-get", ["install", "-y", REGISTRY_PACKAGE]);
  if (code !== 0) {
    // A fresh machine may have no package lists yet.
    opts.notice(
      "registry-guard: apt-get install failed; refreshing package lists (apt-get update)",
    );
    await run("apt-get", ["update"]);
    code = await run("apt-get", ["install", "-y", REGISTRY_PACKAGE]);
  }
  const installed = await findExecutable(name, env);
  if (code !== 0 || !installed) {
    throw new RegistryBinaryMissingError(
      `installing the CNCF distribution registry failed (apt-get exited with ${code})`,
      { command: INSTALL_COMMAND },
    );
  }
  return installed;
}

async function rootWithApt(env: NodeJS.ProcessEnv): Promise<boolean> {
  return process.getuid?.() === 0 && (await findExecutable("apt-get", env)) !== null;
}

function runInherited(cmd: string, args: string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, {
      stdio: ["ignore", "inherit", "inherit"],
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    });
    child.once("error", () => resolve(127));
    child.once("exit", (code) => resolve(code ?? 1));
  });
}
