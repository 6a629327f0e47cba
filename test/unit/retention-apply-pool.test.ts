import { describe, expect, it } from "vitest";
import { BoundedQueue } from "../../shared/retention/bounded-pool.ts";

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("bounded pool", () => {
  it("BoundedQueue runs at most N tasks at once and drain waits for all, failures included", async () => {
    const q = new BoundedQueue(3);
    let inFlight = 0;
    let peak = 0;
    const done: number[] = [];
    const results = Array.from({ length: 10 }, (_, i) =>
      q.run(async () => {
        inFlight += 1;
        peak = Math.max(peak, inFlight);
        await tick(10 - i);
        inFlight -= 1;
        done.push(i);
        if (i === 4) throw new Error("task 4 failed");
        return i;
      }),
    );
    await q.drain();
    expect(done.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(peak).toBe(3);
    await expect(results[4]).rejects.toThrow("task 4 failed");
    await expect(results[9]).resolves.toBe(9);
  });
});
