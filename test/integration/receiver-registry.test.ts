import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EventQueue, type QueuedEvent } from "../../local/event-queue.ts";
import { startWebhookServer, type WebhookServer } from "../../local/webhook-server.ts";
import { OciRegistry } from "../../shared/adapters/oci/oci-registry.ts";
import { type LocalRegistry, startLocalRegistry } from "../support/local-registry.ts";
import { type PushTarget, pushImage } from "../support/oci-push.ts";

// The real CNCF distribution registry notifying the local receiver: what the registry sends is
// what the parsers, the secret check and the queue get.

const SECRET = "registry-notification-secret-0123456789";

let reg: LocalRegistry;
let server: WebhookServer;
let target: PushTarget;
let adapter: OciRegistry;
const handled: QueuedEvent[] = [];
const queue = new EventQueue(async (e) => {
  handled.push(e);
});

async function eventually<T>(what: string, probe: () => T | undefined): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  // The registry's host is only known once it runs; the receiver names events after it, so the
  // receiver starts on a port fixed first and is pointed at the registry's host afterwards.
  const probe = await startWebhookServer({
    secret: SECRET,
    registryHost: "127.0.0.1:1",
    onEvents: () => {},
  });
  const port = probe.port;
  await probe.close();
  reg = await startLocalRegistry({
    notifications: { url: `http://127.0.0.1:${port}/webhooks/distribution`, token: SECRET },
  });
  adapter = new OciRegistry({ url: reg.url });
  server = await startWebhookServer({
    port,
    secret: SECRET,
    registryHost: reg.host,
    ignoreRepository: (r) => adapter.quarantineRepositories.isQuarantine(r),
    onEvents: (events) => queue.enqueue(events),
  });
  target = { url: reg.url };
});

afterAll(async () => {
  adapter?.close();
  await reg?.stop();
  await server?.close();
});

describe("distribution registry → webhook server → event queue", () => {
  it("delivers the manifest push with the pushed image's digest and tag", async () => {
    const img = await pushImage(target, "team/app", { tags: ["v1"] });
    const push = await eventually("the tagged manifest push", () =>
      handled.find(
        (e) =>
          e.kind === "image-pushed" && e.image.digest === img.digest && e.image.tags.includes("v1"),
      ),
    );
    expect(push).toMatchObject({
      kind: "image-pushed",
      source: "distribution",
      image: { registry: "oci", registryId: reg.host, repository: "team/app", digest: img.digest },
      mediaType: "application/vnd.oci.image.manifest.v1+json",
    });
    // Blob pushes are ignored by the parser and never reach the queue.
    expect(handled.every((e) => e.kind !== "ignored")).toBe(true);
    await queue.idle();
    expect(queue.deadLetters()).toEqual([]);
  });

  it("ignores registry-guard's own quarantine move, but records the deletion it causes", async () => {
    const img = await pushImage(target, "team/svc", { tags: ["bad"] });
    await eventually("the push", () =>
      handled.find((e) => e.kind === "image-pushed" && e.image.digest === img.digest),
    );
    await adapter.quarantine({
      registry: "oci",
      registryId: reg.host,
      repository: "team/svc",
      digest: img.digest,
      tags: ["bad"],
    });
    const deleted = await eventually("the delete from the source repository", () =>
      handled.find((e) => e.kind === "image-deleted" && e.image.digest === img.digest),
    );
    expect(deleted).toMatchObject({ image: { repository: "team/svc" } });
    expect(
      handled.filter((e) => e.kind !== "ignored" && e.image.repository.startsWith("quarantine/")),
    ).toEqual([]);
  });
});
