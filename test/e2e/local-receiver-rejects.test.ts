// Bad requests to the local runtime's receiver change nothing: no audit item, no alert line.
// The registry's own notifications are off here, so every request is one the test sends; the
// last test sends the valid twin of the refused ones to prove they would have changed things.
import { randomBytes, randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PushedImage, pushImage } from "../support/oci-push.ts";
import {
  alertLines,
  auditItemCount,
  recordsOf,
  startTestRuntime,
  type TestRuntime,
  target,
  waitForRecord,
} from "./local-runtime-harness.ts";

const DISTRIBUTION = "application/vnd.docker.distribution.events.v1+json";
let t: TestRuntime;
let img: PushedImage;

beforeAll(async () => {
  t = await startTestRuntime({ registryNotifications: false });
  img = await pushImage(target(t.rt), "prod/api", { tags: ["1.0"] });
});
afterAll(async () => {
  await t?.stop();
});

/** A distribution push notification for an image, from the published sample's shape. */
async function pushEnvelope(repository: string, digest: string): Promise<string> {
  const sample = JSON.parse(
    await readFile("test/fixtures/webhooks/distribution/manifest-push-tagged.json", "utf8"),
  ) as { events: Record<string, unknown>[] };
  const event = sample.events[0] as { target: Record<string, unknown> } & Record<string, unknown>;
  return JSON.stringify({
    events: [
      {
        ...event,
        id: randomUUID(),
        timestamp: new Date().toISOString(),
        target: {
          ...event.target,
          mediaType: "application/vnd.oci.image.manifest.v1+json",
          repository,
          digest,
          tag: "1.0",
        },
      },
    ],
  });
}

async function post(
  body: string | Buffer,
  headers: Record<string, string>,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${t.rt.receiverUrl}/webhooks/distribution`, {
    method: "POST",
    headers: { "content-type": DISTRIBUTION, ...headers },
    body,
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

async function nothingChanged(): Promise<void> {
  await t.rt.queue.idle();
  expect(await auditItemCount(t.rt)).toBe(0);
  expect(await alertLines(t.rt)).toEqual([]);
  expect(t.rt.queue.deadLetters()).toEqual([]);
}

describe("local receiver: refused requests change nothing", () => {
  it("a forged secret is refused (401) before the body is read", async () => {
    const res = await post(await pushEnvelope("prod/api", img.digest), {
      authorization: `Bearer ${randomBytes(32).toString("base64url")}`,
    });
    expect(res.status).toBe(401);
    expect(res.json.code).toBe("WEBHOOK_AUTH_INVALID");
    expect(JSON.stringify(res.json)).not.toContain(t.rt.secret);
    const none = await post(await pushEnvelope("prod/api", img.digest), {});
    expect(none.status).toBe(401);
    await nothingChanged();
  });

  it("malformed JSON is refused (400)", async () => {
    const res = await post('{"events": [ {"id": ', { authorization: `Bearer ${t.rt.secret}` });
    expect(res.status).toBe(400);
    expect(res.json.code).toBe("WEBHOOK_MALFORMED_JSON");
    await nothingChanged();
  });

  it("an oversized body is refused (413)", async () => {
    const padded = (await pushEnvelope("prod/api", img.digest)).replace(
      '"events"',
      `"padding": "${"x".repeat(1_100_000)}", "events"`,
    );
    const res = await post(padded, { authorization: `Bearer ${t.rt.secret}` });
    expect(res.status).toBe(413);
    await nothingChanged();
  });

  it("an authenticated event about a repository the registry does not have records nothing", async () => {
    const digest = `sha256:${randomBytes(32).toString("hex")}`;
    const res = await post(await pushEnvelope("nowhere/app", digest), {
      authorization: `Bearer ${t.rt.secret}`,
    });
    expect(res.status).toBe(202);
    await t.rt.queue.idle();
    expect(t.outcomes.at(-1)).toMatchObject({ status: "image-gone" });
    await nothingChanged();
  });

  it("the valid twin of those requests is recorded (so the refusals above were real)", async () => {
    const res = await post(await pushEnvelope("prod/api", img.digest), {
      authorization: `Bearer ${t.rt.secret}`,
    });
    expect(res.status).toBe(202);
    await waitForRecord(t.rt, "prod/api", img.digest, "event-received");
    expect((await recordsOf(t.rt, "prod/api", img.digest)).length).toBe(1);
  });
});

describe("local receiver: backpressure", () => {
  it("answers 503 while the pipeline's backlog is full, taking nothing (the registry retries)", async () => {
    const full = await startTestRuntime({ registryNotifications: false, maxBacklog: 0 });
    try {
      const pushed = await pushImage(target(full.rt), "prod/api", { tags: ["1.0"] });
      const res = await fetch(`${full.rt.receiverUrl}/webhooks/distribution`, {
        method: "POST",
        headers: { "content-type": DISTRIBUTION, authorization: `Bearer ${full.rt.secret}` },
        body: await pushEnvelope("prod/api", pushed.digest),
      });
      expect(res.status).toBe(503);
      await full.rt.queue.idle();
      expect(full.rt.queue.stats().received).toBe(0);
      expect(await auditItemCount(full.rt)).toBe(0);
    } finally {
      await full.stop();
    }
  });
});
