import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  EventQueue,
  EventQueueClosedError,
  imageLaneKey,
  type QueuedEvent,
} from "../../local/event-queue.ts";
import type { RegistryEvent } from "../../shared/domain/registry-event.ts";

const digestOf = (n: number) => `sha256:${n.toString(16).padStart(64, "0")}`;

function pushed(id: string, image: number, tags: string[] = []): RegistryEvent {
  return {
    kind: "image-pushed",
    eventId: id,
    time: "2024-06-01T10:00:00Z",
    source: "distribution",
    image: {
      registry: "oci",
      registryId: "registry.example.com",
      repository: "app",
      digest: digestOf(image),
      tags,
    },
  };
}

const tick = () => new Promise<void>((r) => setImmediate(r));

/** A handler whose calls stay open until the test settles them. */
function manualHandler() {
  const open = new Map<string, { resolve: () => void; reject: (e: Error) => void }>();
  const started: string[] = [];
  let concurrent = 0;
  let maxConcurrent = 0;
  const handler = (e: QueuedEvent) =>
    new Promise<void>((resolve, reject) => {
      started.push(e.eventId);
      concurrent++;
      maxConcurrent = Math.max(maxConcurrent, concurrent);
      const done = () => concurrent--;
      open.set(e.eventId, {
        resolve: () => {
          done();
          resolve();
        },
        reject: (err) => {
          done();
          reject(err);
        },
      });
    });
  return {
    handler,
    started,
    open,
    maxConcurrent: () => maxConcurrent,
    finish(id: string) {
      const h = open.get(id);
      if (!h) throw new Error(`${id} is not running`);
      open.delete(id);
      h.resolve();
    },
  };
}

describe("EventQueue", () => {
  it("runs the events of one image one at a time, in order", async () => {
    const m = manualHandler();
    const q = new EventQueue(m.handler, { concurrency: 4 });
    q.enqueue([pushed("a1", 1), pushed("a2", 1), pushed("a3", 1)]);
    await tick();
    expect(m.started).toEqual(["a1"]);
    m.finish("a1");
    await tick();
    expect(m.started).toEqual(["a1", "a2"]);
    m.finish("a2");
    await tick();
    m.finish("a3");
    await q.idle();
    expect(m.started).toEqual(["a1", "a2", "a3"]);
    expect(q.stats()).toMatchObject({ received: 3, done: 3, failed: 0, inFlight: 0, queued: 0 });
  });

  it("runs different images side by side, never more than the concurrency cap", async () => {
    const m = manualHandler();
    const q = new EventQueue({ handler: m.handler, concurrency: 2 });
    q.enqueue([pushed("a", 1), pushed("b", 2), pushed("c", 3), pushed("d", 4)]);
    await tick();
    expect(m.started).toEqual(["a", "b"]);
    expect(q.stats()).toMatchObject({ inFlight: 2, queued: 2 });
    m.finish("b");
    await tick();
    expect(m.started).toEqual(["a", "b", "c"]);
    m.finish("a");
    m.finish("c");
    await tick();
    m.finish("d");
    await q.idle();
    expect(m.maxConcurrent()).toBe(2);
  });

  it("defaults to 4 at once", async () => {
    const m = manualHandler();
    const q = new EventQueue(m.handler);
    q.enqueue(Array.from({ length: 10 }, (_, i) => pushed(`e${i}`, i)));
    await tick();
    expect(m.started).toHaveLength(4);
    for (let i = 0; i < 10; i++) {
      await tick();
      for (const id of [...m.open.keys()]) m.finish(id);
    }
    await q.idle();
    expect(m.maxConcurrent()).toBe(4);
    expect(q.stats().done).toBe(10);
  });

  it("retries a failing event with backoff, holding its image's next event back", async () => {
    const calls: string[] = [];
    const delays: number[] = [];
    let failuresLeft = 2;
    const q = new EventQueue(
      async (e) => {
        calls.push(e.eventId);
        if (e.eventId === "a1" && failuresLeft-- > 0) throw new Error("registry unavailable");
      },
      {
        backoffMs: (n) => {
          delays.push(n);
          return 1;
        },
      },
    );
    q.enqueue([pushed("a1", 1), pushed("a2", 1), pushed("b1", 2)]);
    await q.idle();
    expect(calls.filter((c) => c !== "b1")).toEqual(["a1", "a1", "a1", "a2"]);
    expect(delays).toEqual([1, 2]);
    expect(q.stats()).toMatchObject({ received: 3, done: 3, failed: 0, retries: 2 });
    expect(q.deadLetters()).toEqual([]);
  });

  it("dead-letters an event after the last attempt, then goes on with its image", async () => {
    const calls: string[] = [];
    const q = new EventQueue(
      async (e) => {
        calls.push(e.eventId);
        if (e.eventId === "bad") throw new Error("always fails");
      },
      { maxAttempts: 3, backoffMs: () => 0, now: () => new Date("2024-06-01T12:00:00Z") },
    );
    q.enqueue([pushed("bad", 1), pushed("after", 1)]);
    await q.idle();
    expect(calls).toEqual(["bad", "bad", "bad", "after"]);
    expect(q.deadLetters()).toEqual([
      expect.objectContaining({
        attempts: 3,
        message: "always fails",
        failedAt: "2024-06-01T12:00:00.000Z",
        event: expect.objectContaining({ eventId: "bad" }),
      }),
    ]);
    expect(q.stats()).toMatchObject({ received: 2, done: 1, failed: 1, inFlight: 0 });
  });

  it("dead-letters at once what isRetryable says will not get better", async () => {
    let calls = 0;
    const q = new EventQueue(
      async () => {
        calls++;
        throw Object.assign(new Error("wrong registry"), { code: "OCI_WRONG_REGISTRY" });
      },
      { isRetryable: (e) => (e as { code?: string }).code !== "OCI_WRONG_REGISTRY" },
    );
    q.enqueue([pushed("x", 1)]);
    await q.idle();
    expect(calls).toBe(1);
    expect(q.deadLetters()[0]?.attempts).toBe(1);
  });

  it("idle() resolves at once when empty, and only when everything queued is finished", async () => {
    const m = manualHandler();
    const q = new EventQueue(m.handler);
    await q.idle();
    q.enqueue([pushed("a", 1)]);
    let idle = false;
    void q.idle().then(() => {
      idle = true;
    });
    await tick();
    expect(idle).toBe(false);
    q.enqueue([pushed("b", 1)]);
    m.finish("a");
    await tick();
    expect(idle).toBe(false);
    m.finish("b");
    await tick();
    expect(idle).toBe(true);
  });

  it("a handler that throws synchronously is treated like a rejection", async () => {
    const q = new EventQueue(
      ((_e: QueuedEvent) => {
        throw new Error("sync");
      }) as unknown as (e: QueuedEvent) => Promise<void>,
      { maxAttempts: 2, backoffMs: () => 0 },
    );
    q.enqueue([pushed("s", 1)]);
    await q.idle();
    expect(q.stats()).toMatchObject({ failed: 1, retries: 1 });
  });

  it("close() waits for the queued events and refuses new ones", async () => {
    const done: string[] = [];
    const q = new EventQueue(async (e) => {
      await tick();
      done.push(e.eventId);
    });
    q.enqueue([pushed("a", 1), pushed("b", 2)]);
    await q.close();
    expect(done.sort()).toEqual(["a", "b"]);
    expect(() => q.enqueue([pushed("c", 3)])).toThrow(EventQueueClosedError);
  });

  it("refuses a nonsense concurrency or attempt count", () => {
    const h = async () => {};
    expect(() => new EventQueue(h, { concurrency: 0 })).toThrow(RangeError);
    expect(() => new EventQueue(h, { maxAttempts: 1.5 })).toThrow(RangeError);
  });
});

describe("imageLaneKey", () => {
  it("keys an image's events by its digest, a referrer's by its subject", () => {
    const subject = digestOf(7);
    const sig = pushed("sig", 9, [`${subject.replace(":", "-")}.sig`]);
    const index = pushed("idx", 8, [subject.replace(":", "-")]);
    const referrer: RegistryEvent = {
      ...pushed("r", 10),
      kind: "referrer-pushed",
      subjectDigest: subject,
    };
    const own = imageLaneKey(pushed("own", 7));
    expect(imageLaneKey(sig)).toBe(own);
    expect(imageLaneKey(index)).toBe(own);
    expect(imageLaneKey(referrer)).toBe(own);
    expect(imageLaneKey(pushed("other", 6))).not.toBe(own);
    expect(imageLaneKey({ kind: "ignored", eventId: "i", source: "harbor", reason: "pull" })).toBe(
      "event:i",
    );
  });
});

describe("EventQueue properties", () => {
  it("whatever fails: per-image order holds, the cap holds, every event ends done or dead", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ image: fc.nat(3), failures: fc.nat(4), yields: fc.nat(3) }), {
          minLength: 1,
          maxLength: 30,
        }),
        fc.integer({ min: 1, max: 4 }),
        async (specs, concurrency) => {
          const failuresLeft = new Map(specs.map((s, i) => [`e${i}`, s.failures]));
          const finished: { id: string; image: number }[] = [];
          const running = new Set<number>();
          let active = 0;
          let maxActive = 0;
          let overlap = false;
          const q = new EventQueue(
            async (e) => {
              const spec = specs[Number(e.eventId.slice(1))];
              if (!spec) throw new Error("unknown event");
              // Never two events of one image at once (asserted below: a throw here would
              // only count as a failed attempt).
              if (running.has(spec.image)) overlap = true;
              running.add(spec.image);
              active++;
              maxActive = Math.max(maxActive, active);
              for (let i = 0; i < spec.yields; i++) await tick();
              active--;
              running.delete(spec.image);
              const left = failuresLeft.get(e.eventId) ?? 0;
              if (left > 0) {
                failuresLeft.set(e.eventId, left - 1);
                throw new Error("flaky");
              }
              finished.push({ id: e.eventId, image: spec.image });
            },
            { concurrency, maxAttempts: 3, backoffMs: () => 0 },
          );
          q.enqueue(specs.map((s, i) => pushed(`e${i}`, s.image)));
          await q.idle();
          expect(overlap).toBe(false);
          expect(maxActive).toBeLessThanOrEqual(concurrency);
          const dead = q.deadLetters().map((d) => d.event.eventId);
          // An event dies exactly when it needed more than 3 attempts.
          expect(dead.sort()).toEqual(
            specs.flatMap((s, i) => (s.failures >= 3 ? [`e${i}`] : [])).sort(),
          );
          expect(finished.length + dead.length).toBe(specs.length);
          for (let img = 0; img <= 3; img++) {
            const order = finished.filter((f) => f.image === img).map((f) => Number(f.id.slice(1)));
            expect(order).toEqual([...order].sort((a, b) => a - b));
          }
          expect(q.stats()).toMatchObject({
            received: specs.length,
            done: finished.length,
            failed: dead.length,
            inFlight: 0,
            queued: 0,
            retrying: 0,
          });
        },
      ),
      { numRuns: 60 },
    );
  });
});
