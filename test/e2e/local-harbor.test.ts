// Harbor webhook payloads (the published samples in test/fixtures/webhooks/harbor/, pointed at
// images the test pushed) drive the same path as the registry's own notifications. The scan
// source is the attached-report path: Harbor's "scanning completed" makes the pipeline read the
// Trivy report attached to the image in the real registry, which it then quarantines. The
// registry's own notifications are off, so only the Harbor payloads reach the pipeline.
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TRIVY_REPORT_MEDIA_TYPE } from "../../shared/adapters/oci/oci-scan-report.ts";
import { attachArtifact, type PushedImage, pullStatus, pushImage } from "../support/oci-push.ts";
import {
  alertLines,
  keyOf,
  recordsOf,
  startTestRuntime,
  type TestRuntime,
  target,
  waitForRecord,
} from "./local-runtime-harness.ts";

let t: TestRuntime;
let trivy: Buffer;

beforeAll(async () => {
  t = await startTestRuntime({ registryNotifications: false });
  trivy = await readFile("test/fixtures/findings/trivy.json");
});
afterAll(async () => {
  await t?.stop();
});

const fixture = async (path: string) =>
  JSON.parse(await readFile(`test/fixtures/webhooks/harbor/${path}`, "utf8")) as Record<
    string,
    unknown
  >;

/** The sample's repository and resource pointed at our image (Harbor names repos project/name). */
function retarget(data: Record<string, unknown>, img: PushedImage, tag?: string) {
  const [namespace, name] = img.repository.split("/") as [string, string];
  const resources = (data.resources as Record<string, unknown>[]).map((r) => ({
    ...r,
    digest: img.digest,
    tag: tag ?? img.digest,
    resource_url: `${t.rt.registryHost}/${img.repository}${tag ? `:${tag}` : `@${img.digest}`}`,
  }));
  return {
    ...data,
    resources,
    repository: {
      ...(data.repository as object),
      name,
      namespace,
      repo_full_name: img.repository,
    },
  };
}

async function postHarbor(body: unknown, contentType: string): Promise<number> {
  const res = await fetch(`${t.rt.receiverUrl}/webhooks/harbor`, {
    method: "POST",
    // Harbor sends its webhook's Auth Header value as the Authorization header, as is.
    headers: { "content-type": contentType, authorization: t.rt.secret },
    body: JSON.stringify(body),
  });
  await res.arrayBuffer();
  return res.status;
}

async function pushWithFailingReport(repository: string, tag: string): Promise<PushedImage> {
  const img = await pushImage(target(t.rt), repository, { tags: [tag] });
  await attachArtifact(target(t.rt), repository, img, {
    artifactType: TRIVY_REPORT_MEDIA_TYPE,
    layers: [{ mediaType: TRIVY_REPORT_MEDIA_TYPE, bytes: trivy }],
  });
  return img;
}

describe("local runtime: Harbor webhooks", () => {
  it("Default format: artifact pushed, then scanning completed → quarantined", async () => {
    const img = await pushWithFailingReport("prod/alpine", "3.8");
    const now = Math.floor(Date.now() / 1000);
    const push = await fixture("default/push-artifact-tagged.json");
    const pushStatus = await postHarbor(
      {
        ...push,
        occur_at: now - 5,
        event_data: retarget(push.event_data as Record<string, unknown>, img, "3.8"),
      },
      "application/json",
    );
    expect(pushStatus).toBe(202);
    const received = await waitForRecord(t.rt, "prod/alpine", img.digest, "event-received");
    expect(received).toMatchObject({ eventType: "image-pushed", principal: "admin" });

    const scan = await fixture("default/scanning-completed-findings.json");
    expect(
      await postHarbor(
        {
          ...scan,
          occur_at: now,
          event_data: retarget(scan.event_data as Record<string, unknown>, img, "3.8"),
        },
        "application/json",
      ),
    ).toBe(202);
    const gate = await waitForRecord(t.rt, "prod/alpine", img.digest, "gate-evaluated");
    expect(gate).toMatchObject({ verdict: "fail", eventType: "scan-completed" });
    await waitForRecord(t.rt, "prod/alpine", img.digest, "alert-sent");
    expect(await pullStatus(target(t.rt), "prod/alpine", "3.8")).toBe(404);
    expect(await pullStatus(target(t.rt), "prod/alpine", img.digest)).toBe(404);
    const records = await recordsOf(t.rt, "prod/alpine", img.digest);
    expect(records.filter((r) => r.action === "quarantined")).toHaveLength(1);
    expect(
      (await t.rt.audit.verifyImage(keyOf(t.rt, "prod/alpine", img.digest), new Date())).ok,
    ).toBe(true);
    expect(
      (await alertLines(t.rt)).filter((a) => JSON.stringify(a).includes(img.digest)),
    ).toHaveLength(1);

    // Harbor's jobservice retries re-send the same body: same derived event id, nothing new.
    const before = records.length;
    await postHarbor(
      {
        ...scan,
        occur_at: now,
        event_data: retarget(scan.event_data as Record<string, unknown>, img, "3.8"),
      },
      "application/json",
    );
    await t.rt.queue.idle();
    expect((await recordsOf(t.rt, "prod/alpine", img.digest)).length).toBe(before);
  });

  it("CloudEvents format: the same path", async () => {
    const img = await pushWithFailingReport("prod/busybox", "1.36");
    const push = await fixture("cloudevents/push-artifact.json");
    expect(
      await postHarbor(
        {
          ...push,
          time: new Date(Date.now() - 5000).toISOString(),
          data: retarget(push.data as Record<string, unknown>, img),
        },
        "application/cloudevents+json",
      ),
    ).toBe(202);
    await waitForRecord(t.rt, "prod/busybox", img.digest, "event-received");
    const scan = await fixture("cloudevents/scanning-completed.json");
    expect(
      await postHarbor(
        {
          ...scan,
          time: new Date().toISOString(),
          data: retarget(scan.data as Record<string, unknown>, img),
        },
        "application/cloudevents+json",
      ),
    ).toBe(202);
    await waitForRecord(t.rt, "prod/busybox", img.digest, "quarantined");
    expect(await pullStatus(target(t.rt), "prod/busybox", "1.36")).toBe(404);
    expect(await pullStatus(target(t.rt), "prod/busybox", img.digest)).toBe(404);
  });
});
