// The registry dies in the middle of a quarantine: after the image was copied into the
// quarantine repository and before the original was deleted. The queue retries the event, the
// quarantine completes once the registry is back (same storage, same port), and the audit trail
// says it once: one gate decision, one quarantined record, one alert, the chain intact.
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OciCall } from "../../shared/adapters/oci/oci-client.ts";
import { TRIVY_REPORT_MEDIA_TYPE } from "../../shared/adapters/oci/oci-scan-report.ts";
import { attachArtifact, pullStatus, pushImage } from "../support/oci-push.ts";
import {
  alertLines,
  keyOf,
  recordsOf,
  startTestRuntime,
  type TestRuntime,
  target,
  waitFor,
  waitForRecord,
} from "./local-runtime-harness.ts";

let t: TestRuntime;

beforeAll(async () => {
  // registryPort 0 picks one outside the ephemeral range: still free when the registry restarts.
  t = await startTestRuntime();
});
afterAll(async () => {
  await t?.stop();
});

describe("local runtime: the registry goes down mid-quarantine", () => {
  it("retries until the registry is back, then completes the quarantine once", async () => {
    const { rt } = t;
    const img = await pushImage(target(rt), "prod/payments", { tags: ["7.1"] });
    await waitForRecord(rt, "prod/payments", img.digest, "event-received");

    // Kill the registry at the moment the move deletes the original: the copy is complete.
    const client = rt.registry.client;
    const send = client.send.bind(client);
    let copiedBeforeKill = 0;
    let restarted: Promise<void> | undefined;
    client.send = async (call: OciCall) => {
      if (!restarted && call.operation === "DeleteManifest") {
        copiedBeforeKill = await pullStatus(target(rt), "quarantine/prod/payments", img.digest);
        rt.registryProcess().signal("SIGKILL");
        await rt.registryProcess().exited;
        restarted = new Promise((r) => setTimeout(r, 1500)).then(() => rt.restartRegistry());
        restarted.catch(() => {}); // awaited below; this only keeps a failure from going unhandled
      }
      return send(call);
    };

    await attachArtifact(target(rt), "prod/payments", img, {
      artifactType: TRIVY_REPORT_MEDIA_TYPE,
      layers: [
        {
          mediaType: TRIVY_REPORT_MEDIA_TYPE,
          bytes: await readFile("test/fixtures/findings/trivy.json"),
        },
      ],
    });
    await waitFor("the registry to be killed", () => restarted !== undefined);
    expect(copiedBeforeKill).toBe(200);
    await restarted;

    await waitForRecord(rt, "prod/payments", img.digest, "alert-sent");
    await rt.queue.idle();
    expect(rt.queue.stats().retries).toBeGreaterThanOrEqual(1);
    expect(rt.queue.deadLetters()).toEqual([]);

    expect(await pullStatus(target(rt), "prod/payments", "7.1")).toBe(404);
    expect(await pullStatus(target(rt), "prod/payments", img.digest)).toBe(404);
    expect(await pullStatus(target(rt), "quarantine/prod/payments", img.digest)).toBe(200);

    const records = await recordsOf(rt, "prod/payments", img.digest);
    const count = (action: string) => records.filter((r) => r.action === action).length;
    expect(count("gate-evaluated")).toBe(1);
    expect(count("quarantined")).toBe(1);
    expect(count("alert-sent")).toBe(1);
    const gate = records.find((r) => r.action === "gate-evaluated");
    expect(records.find((r) => r.action === "quarantined")?.eventId).toBe(gate?.eventId);
    const chain = await rt.audit.verifyImage(keyOf(rt, "prod/payments", img.digest), new Date());
    expect(chain.issues).toEqual([]);
    expect(chain.ok).toBe(true);
    expect(
      (await alertLines(rt)).filter((a) => JSON.stringify(a).includes(img.digest)),
    ).toHaveLength(1);
  }, 60_000);
});
