import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { mapLimit } from "../../shared/concurrency/map-limit.ts";

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("mapLimit", () => {
  it("keeps input order and never exceeds its limit", async () => {
    let inFlight = 0;
    let peak = 0;
    const out = await mapLimit([5, 1, 4, 2, 3, 0], 2, async (n, i) => {
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      await tick(n);
      inFlight -= 1;
      return `${i}:${n}`;
    });
    expect(out).toEqual(["0:5", "1:1", "2:4", "3:2", "4:3", "5:0"]);
    expect(peak).toBe(2);
  });

  it("keeps input order and never exceeds the limit, for any delays and limit", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.nat(5), { maxLength: 40 }),
        fc.integer({ min: 1, max: 10 }),
        async (delays, limit) => {
          let running = 0;
          let peak = 0;
          const out = await mapLimit(delays, limit, async (d, i) => {
            running++;
            peak = Math.max(peak, running);
            await tick(d);
            running--;
            return i * 2;
          });
          expect(out).toEqual(delays.map((_, i) => i * 2));
          expect(peak).toBeLessThanOrEqual(limit);
        },
      ),
      { numRuns: 30 },
    );
  });

  it("starts nothing after a failure", async () => {
    const started: number[] = [];
    await expect(
      mapLimit([0, 1, 2, 3, 4, 5], 2, async (i) => {
        started.push(i);
        if (i === 1) throw new Error("boom");
        await tick(5);
      }),
    ).rejects.toThrow("boom");
    await tick(20);
    expect(started).toEqual([0, 1]);
  });

  it("still runs every item, one at a time, when the limit is below 1", async () => {
    for (const limit of [0, -3, Number.NaN]) {
      let peak = 0;
      let running = 0;
      const out = await mapLimit([1, 2, 3], limit, async (n) => {
        running++;
        peak = Math.max(peak, running);
        await tick(1);
        running--;
        return n * 10;
      });
      expect(out).toEqual([10, 20, 30]);
      expect(peak).toBe(1);
    }
  });
});
