// Push → distribution notification → receiver → queue → pipeline → quarantine in the real
// registry → audit records in dynalite → alert line; then release. Everything runs as `npm start`
// runs it; images are pushed with the test's own OCI client (test/support/oci-push.ts), and the
// report is attached with the `attach-report` command a user would run.
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { attachScanReport } from "../../local/attach-scan-report.ts";
import { OciClient } from "../../shared/adapters/oci/oci-client.ts";
import { releaseImage } from "../../shared/pipeline/release-image.ts";
import { listedTags, pullStatus, pushImage } from "../support/oci-push.ts";
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

const run = promisify(execFile);
let t: TestRuntime;
let failing: Buffer;
let passing: Buffer;
/** The --alert-webhook receiver: every alert POSTed to it. */
let hook: http.Server;
const posted: Record<string, unknown>[] = [];

beforeAll(async () => {
  hook = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => {
      body += c.toString();
    });
    req.on("end", () => {
      posted.push(JSON.parse(body) as Record<string, unknown>);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => hook.listen(0, "127.0.0.1", () => r()));
  const { port } = hook.address() as AddressInfo;
  t = await startTestRuntime({ alertWebhook: `http://127.0.0.1:${port}/alerts` });
  failing = await readFile("test/fixtures/findings/trivy.json"); // a HIGH with a fix: fails blockAt HIGH
  passing = await readFile("examples/findings/trivy-pass.json");
});
afterAll(async () => {
  await t?.stop();
  await new Promise<void>((r) => hook.close(() => r()));
});

describe("local runtime: a failing report attached to a pushed image", () => {
  it("quarantines it in the registry, records it in dynalite, alerts, and release restores it", async () => {
    const { rt } = t;
    const img = await pushImage(target(rt), "prod/api", { tags: ["1.4.2"] });
    const pushed = await waitForRecord(rt, "prod/api", img.digest, "event-received");
    expect(pushed.eventType).toBe("image-pushed");
    expect(typeof pushed.detail?.pushedAt).toBe("string");

    // The exact command docs/local.md and the start banner print.
    const { stdout } = await run(
      "node_modules/.bin/tsx",
      [
        "local/attach-report.ts",
        "--image",
        `localhost:${new URL(rt.registryUrl).port}/prod/api@${img.digest}`,
        "--report",
        "test/fixtures/findings/trivy.json",
      ],
      { timeout: 30_000 },
    );
    expect(stdout).toContain(`sha256-${img.digest.slice(7)}`);

    const quarantined = await waitForRecord(rt, "prod/api", img.digest, "quarantined");
    await waitForRecord(rt, "prod/api", img.digest, "alert-sent");
    expect(await pullStatus(target(rt), "prod/api", "1.4.2")).toBe(404);
    expect(await pullStatus(target(rt), "prod/api", img.digest)).toBe(404);
    expect(await pullStatus(target(rt), "quarantine/prod/api", img.digest)).toBe(200);

    const records = await recordsOf(rt, "prod/api", img.digest);
    const gate = records.find((r) => r.action === "gate-evaluated");
    expect(gate).toMatchObject({ verdict: "fail", eventType: "referrer-pushed" });
    expect(gate?.reasons?.join(" ")).toContain("CVE-2023-5363");
    expect(quarantined.eventId).toBe(gate?.eventId);
    expect(records.filter((r) => r.action === "quarantined")).toHaveLength(1);
    const report = await rt.audit.verifyImage(keyOf(rt, "prod/api", img.digest), new Date());
    expect(report.ok).toBe(true);

    const alerts = await alertLines(rt);
    const mine = alerts.filter((a) => JSON.stringify(a).includes(img.digest));
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({
      attributes: { eventType: "image.quarantined", verdict: "fail", repository: "prod/api" },
    });
    expect(t.consoleText()).toContain("prod/api FAILED the severity gate");
    const hooked = posted.filter((a) => JSON.stringify(a).includes(img.digest));
    expect(hooked).toHaveLength(1);
    expect(hooked[0]).toMatchObject({ attributes: mine[0]?.attributes, subject: mine[0]?.subject });

    const released = await releaseImage(rt.deps, {
      image: {
        registry: "oci",
        registryId: rt.registryHost,
        repository: "prod/api",
        digest: img.digest,
        tags: [],
      },
      reason: "false positive: the vulnerable code path is not reachable",
      principal: "local:e2e",
    });
    expect(released.steps.map((s) => [s.action, s.status])).toEqual([
      ["released", "done"],
      ["alert-sent", "done"],
    ]);
    expect(await pullStatus(target(rt), "prod/api", "1.4.2")).toBe(200);
    expect(await pullStatus(target(rt), "prod/api", img.digest)).toBe(200);
    expect(await listedTags(target(rt), "quarantine/prod/api")).toEqual([]);
    const after = await recordsOf(rt, "prod/api", img.digest);
    expect(after.find((r) => r.action === "released")).toMatchObject({ principal: "local:e2e" });
    expect((await rt.audit.verifyImage(keyOf(rt, "prod/api", img.digest), new Date())).ok).toBe(
      true,
    );
    await waitFor("the release alert line", async () =>
      (await alertLines(rt)).some(
        (a) =>
          JSON.stringify(a).includes(img.digest) &&
          (a.attributes as { eventType?: string }).eventType === "image.released",
      ),
    );
    // Our own moves in the quarantine repository were ignored by the receiver, not recorded.
    expect(await recordsOf(rt, "quarantine/prod/api", img.digest)).toEqual([]);
  });

  it("a passing report decides pass: nothing is quarantined and no alert is written", async () => {
    const { rt } = t;
    const img = await pushImage(target(rt), "prod/web", { tags: ["2.0"] });
    await waitForRecord(rt, "prod/web", img.digest, "event-received");
    const before = (await alertLines(rt)).length;
    const client = new OciClient({ url: rt.registryUrl });
    try {
      await attachScanReport(client, {
        repository: "prod/web",
        digest: img.digest,
        report: passing,
      });
    } finally {
      client.close();
    }
    const gate = await waitForRecord(rt, "prod/web", img.digest, "gate-evaluated");
    expect(gate.verdict).toBe("pass");
    await rt.queue.idle();
    expect(await pullStatus(target(rt), "prod/web", "2.0")).toBe(200);
    expect(await pullStatus(target(rt), "prod/web", img.digest)).toBe(200);
    const actions = (await recordsOf(rt, "prod/web", img.digest)).map((r) => r.action);
    expect(actions).not.toContain("quarantined");
    expect(actions).not.toContain("alert-sent");
    expect((await alertLines(rt)).length).toBe(before);
  });

  it("a failing report in an alert-only repository alerts and leaves the image pullable", async () => {
    const { rt } = t;
    const img = await pushImage(target(rt), "sandbox/tool", { tags: ["dev"] });
    await waitForRecord(rt, "sandbox/tool", img.digest, "event-received");
    const client = new OciClient({ url: rt.registryUrl });
    try {
      await attachScanReport(client, {
        repository: "sandbox/tool",
        digest: img.digest,
        report: failing,
      });
    } finally {
      client.close();
    }
    await waitForRecord(rt, "sandbox/tool", img.digest, "alert-sent");
    expect(await pullStatus(target(rt), "sandbox/tool", "dev")).toBe(200);
    const alert = (await alertLines(rt)).find((a) => JSON.stringify(a).includes(img.digest));
    expect(alert).toMatchObject({ attributes: { eventType: "gate.failed", verdict: "fail" } });
  });
});
