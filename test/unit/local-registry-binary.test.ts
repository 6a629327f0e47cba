import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ensureRegistryBinary, RegistryBinaryMissingError } from "../../local/registry-binary.ts";
import { registryConfig } from "../../local/registry-process.ts";

const dirs: string[] = [];
async function emptyDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "rg-bin-"));
  dirs.push(d);
  return d;
}
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function executable(dir: string, name: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, "#!/bin/sh\nexit 0\n");
  await chmod(path, 0o755);
  return path;
}

describe("ensureRegistryBinary", () => {
  it("finds docker-registry on PATH and installs nothing", async () => {
    const bin = await emptyDir();
    const path = await executable(bin, "docker-registry");
    const notices: string[] = [];
    const found = await ensureRegistryBinary({
      env: { PATH: bin },
      notice: (l) => notices.push(l),
      canInstall: async () => {
        throw new Error("must not be asked");
      },
    });
    expect(found).toBe(path);
    expect(notices).toEqual([]);
  });

  it("as root with apt-get: installs the package with a notice, then uses it", async () => {
    const bin = await emptyDir();
    const notices: string[] = [];
    const ran: string[][] = [];
    const found = await ensureRegistryBinary({
      env: { PATH: bin },
      notice: (l) => notices.push(l),
      canInstall: async () => true,
      run: async (cmd, args) => {
        ran.push([cmd, ...args]);
        await executable(bin, "docker-registry");
        return 0;
      },
    });
    expect(found).toBe(join(bin, "docker-registry"));
    expect(ran).toEqual([["apt-get", "install", "-y", "docker-registry"]]);
    expect(notices.join("\n")).toContain("apt-get install -y docker-registry");
  });

  it("retries once after apt-get update when the first install fails (no package lists yet)", async () => {
    const bin = await emptyDir();
    const ran: string[] = [];
    await ensureRegistryBinary({
      env: { PATH: bin },
      notice: () => {},
      canInstall: async () => true,
      run: async (cmd, args) => {
        ran.push([cmd, ...args].join(" "));
        if (ran.length === 1) return 100;
        if (args[0] === "install") await executable(bin, "docker-registry");
        return 0;
      },
    });
    expect(ran).toEqual([
      "apt-get install -y docker-registry",
      "apt-get update",
      "apt-get install -y docker-registry",
    ]);
  });

  it("not root: fails with the exact command to run, installing nothing", async () => {
    const bin = await emptyDir();
    await executable(bin, "apt-get");
    const err = await ensureRegistryBinary({
      env: { PATH: bin },
      notice: () => {},
      canInstall: async () => false,
      run: async () => {
        throw new Error("must not run");
      },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryBinaryMissingError);
    expect((err as RegistryBinaryMissingError).command).toBe(
      "sudo apt-get install -y docker-registry",
    );
    expect((err as Error).message).toContain("sudo apt-get install -y docker-registry");
  });

  it("a DOCKER_REGISTRY_BIN that names nothing is an error, never an install", async () => {
    const err = await ensureRegistryBinary({
      env: { PATH: "", DOCKER_REGISTRY_BIN: "/nonexistent/registry" },
      notice: () => {},
      canInstall: async () => true,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryBinaryMissingError);
    expect((err as Error).message).toContain("DOCKER_REGISTRY_BIN=/nonexistent/registry");
  });
});

describe("registryConfig", () => {
  const base = {
    binary: "docker-registry",
    host: "127.0.0.1",
    port: 5000,
    storageDir: "/data/registry",
    configPath: "/data/config.yml",
  };

  it("enables deletes and notifies manifest events only, with the secret as a Bearer token", () => {
    const cfg = registryConfig({
      ...base,
      notifications: { url: "http://127.0.0.1:5050/webhooks/distribution", secret: "s3cr3t" },
    });
    expect(cfg).toMatchObject({
      storage: { filesystem: { rootdirectory: "/data/registry" }, delete: { enabled: true } },
      http: { addr: "127.0.0.1:5000" },
      notifications: {
        endpoints: [
          {
            url: "http://127.0.0.1:5050/webhooks/distribution",
            headers: { Authorization: ["Bearer s3cr3t"] },
            ignore: { mediatypes: ["application/octet-stream"], actions: ["pull"] },
          },
        ],
      },
    });
  });

  it("has no notifications section when none is asked for", () => {
    expect(registryConfig(base)).not.toHaveProperty("notifications");
  });
});
