// requireScan on an OCI registry: the push notification's timestamp is the push time (the
// registry has no push-time API). An image with no report attached within its scanTimeout is
// failed by the sweep, and under prod/** quarantined.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pullStatus, pushImage } from "../support/oci-push.ts";
import {
  startTestRuntime,
  type TestRuntime,
  target,
  waitForRecord,
} from "./local-runtime-harness.ts";

let t: TestRuntime;
let offsetMs = 0;

beforeAll(async () => {
  t = await startTestRuntime({ clock: () => new Date(Date.now() + offsetMs) });
});
afterAll(async () => {
  await t?.stop();
});

describe("local runtime: the scan-timeout sweep", () => {
  it("leaves an unscanned image alone inside its timeout and fails it after", async () => {
    const { rt } = t;
    const img = await pushImage(target(rt), "prod/cron", { tags: ["1"] });
    const push = await waitForRecord(rt, "prod/cron", img.digest, "event-received");
    const pushedAt = Date.parse(String(push.detail?.pushedAt));
    expect(Math.abs(pushedAt - Date.now())).toBeLessThan(60_000);

    offsetMs = 29 * 60_000;
    expect(await rt.sweep.runNow()).toEqual([]);
    expect(await pullStatus(target(rt), "prod/cron", "1")).toBe(200);

    offsetMs = 31 * 60_000;
    const decided = await rt.sweep.runNow();
    expect(decided).toHaveLength(1);
    expect(decided[0]).toMatchObject({ status: "decided", verdict: "fail" });
    const gate = await waitForRecord(rt, "prod/cron", img.digest, "gate-evaluated");
    expect(gate.eventType).toBe("scan-timeout-check");
    expect(gate.reasons?.join(" ")).toContain("no completed scan 30 minutes after the push");
    await waitForRecord(rt, "prod/cron", img.digest, "quarantined");
    expect(await pullStatus(target(rt), "prod/cron", img.digest)).toBe(404);
    // Decided once: a second sweep finds nothing left to do.
    expect(await rt.sweep.runNow()).toEqual([]);
  });
});
