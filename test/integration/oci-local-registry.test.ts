import http from "node:http";
import { afterEach, describe, expect, it, vi } from "vitest";
import { startLocalRegistry } from "../support/local-registry.ts";
import { pullStatus, pushImage } from "../support/oci-push.ts";

afterEach(() => {
  vi.unstubAllEnvs();
});

describe("startLocalRegistry", () => {
  it("fails, naming the package to install, when the registry binary is missing", async () => {
    vi.stubEnv("DOCKER_REGISTRY_BIN", "docker-registry-that-does-not-exist");
    await expect(startLocalRegistry()).rejects.toThrow("apt-get install docker-registry");
  });

  it("stops the registry: the port no longer answers", async () => {
    const reg = await startLocalRegistry();
    const img = await pushImage({ url: reg.url }, "life/app", { tags: ["v1"] });
    expect(await pullStatus({ url: reg.url }, "life/app", img.digest)).toBe(200);
    await reg.stop();
    await expect(fetch(`${reg.url}/v2/`)).rejects.toThrow();
  });

  it("sends webhook notifications with the configured bearer token", async () => {
    const received: { auth?: string; type?: string; body: string }[] = [];
    const sink = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        received.push({
          ...(req.headers.authorization ? { auth: req.headers.authorization } : {}),
          ...(req.headers["content-type"] ? { type: req.headers["content-type"] } : {}),
          body: Buffer.concat(chunks).toString(),
        });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => sink.listen(0, "127.0.0.1", () => r()));
    const addr = sink.address();
    const port = typeof addr === "object" && addr ? addr.port : 0;
    const reg = await startLocalRegistry({
      notifications: { url: `http://127.0.0.1:${port}/events`, token: "hook-secret" },
    });
    try {
      const img = await pushImage({ url: reg.url }, "hook/app", { tags: ["v1"] });
      const deadline = Date.now() + 10_000;
      const pushed = () =>
        received.some((r) => r.body.includes(img.digest) && r.body.includes('"push"'));
      while (!pushed() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));

      const hit = received.find((r) => r.body.includes(img.digest));
      expect(hit?.auth).toBe("Bearer hook-secret");
      expect(hit?.type).toContain("application/vnd.docker.distribution.events.v1+json");
      const events = (JSON.parse(hit?.body ?? "{}") as { events: { action: string }[] }).events;
      expect(events.some((e) => e.action === "push")).toBe(true);
    } finally {
      await reg.stop();
      sink.closeAllConnections();
      await new Promise<void>((r) => sink.close(() => r()));
    }
  });
});
