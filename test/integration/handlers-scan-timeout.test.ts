import { ECRServiceException, UpdateImageStorageClassCommand } from "@aws-sdk/client-ecr";
import { PublishCommand } from "@aws-sdk/client-sns";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { FakeScan } from "../support/fake-ecr.ts";
import {
  ACCOUNT,
  detailOf,
  eventFixture,
  HandlerHarness,
  isDynamoWrite,
  ociManifest,
} from "../support/lambda-harness.ts";

const FN = "scan-timeout-check";
let h: HandlerHarness;

beforeAll(async () => {
  h = await HandlerHarness.start();
});
beforeEach(async () => {
  await h.reset();
});
afterAll(async () => {
  // Every SDK operation a handler sent in this file is one its IAM role is declared to grant.
  const undeclared = h?.undeclaredSdkCalls() ?? [];
  await h?.stop();
  expect(undeclared).toEqual([]);
});

const MINUTE = 60_000;

/** The EventBridge Scheduler / cron event the sweep runs on; its content does not matter. */
const SCHEDULED = {
  version: "0",
  id: "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
  "detail-type": "Scheduled Event",
  source: "aws.events",
  account: ACCOUNT,
  time: new Date().toISOString(),
  region: "us-east-1",
  resources: [`arn:aws:events:us-east-1:${ACCOUNT}:rule/ScanTimeoutSchedule`],
  detail: {},
};

/**
 * A push recorded by the real on-image-push handler `pushedAgoMs` ago (by the event's time),
 * about an image whose scan ECR still reports as `scan`.
 */
async function pushed(repository: string, pushedAgoMs: number, scan: FakeScan) {
  const { manifest, digest } = ociManifest(`timeout/${repository}`);
  const pushedAt = new Date(Date.now() - pushedAgoMs);
  h.ecr.add({
    region: "us-east-1",
    registryId: ACCOUNT,
    repository,
    digest,
    manifest,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    tags: ["1.4.2"],
    pushedAt,
    status: "ACTIVE",
    scan,
  });
  const event = eventFixture("ecr-image-push");
  Object.assign(event, {
    region: "us-east-1",
    time: pushedAt.toISOString(),
    id: `push-${repository}`,
  });
  Object.assign(detailOf(event), { "image-digest": digest, "repository-name": repository });
  const push = await h.invoke("on-image-push", await h.load("on-image-push"), event);
  expect(push.result).toMatchObject({ status: "recorded" });
  return { digest, key: `ecr:${ACCOUNT}/${repository}@${digest}` };
}

const IN_PROGRESS: FakeScan = { status: "IN_PROGRESS" };

function storageClassCalls() {
  return h.ecrMock.commandCalls(UpdateImageStorageClassCommand).map((c) => c.args[0].input);
}

describe("scan-timeout-check", () => {
  it("fails, quarantines and alerts an image still unscanned after the timeout, once", async () => {
    const overdue = await pushed("team/api", 45 * MINUTE, IN_PROGRESS);
    const recent = await pushed("team/web", 5 * MINUTE, IN_PROGRESS);
    const relaxed = await pushed("sandbox/tools", 45 * MINUTE, IN_PROGRESS);
    h.ecrMock.resetHistory();
    const handler = await h.load(FN);

    const sweep = await h.invoke(FN, handler, SCHEDULED);

    expect(sweep.error).toBeUndefined();
    expect(sweep.result).toEqual({ decided: 1, failed: 1 });
    expect(storageClassCalls()).toEqual([
      {
        registryId: ACCOUNT,
        repositoryName: "team/api",
        imageId: { imageDigest: overdue.digest },
        targetStorageClass: "ARCHIVE",
      },
    ]);
    const published = h.snsMock.commandCalls(PublishCommand).map((c) => c.args[0].input);
    expect(published).toHaveLength(1);
    expect(published[0]?.MessageAttributes?.repository?.StringValue).toBe("team/api");
    expect(published[0]?.MessageAttributes?.verdict?.StringValue).toBe("fail");

    const records = await h.audit().byImage(overdue.key);
    expect(records.map((r) => r.action)).toEqual([
      "event-received",
      "gate-evaluated",
      "quarantined",
      "alert-sent",
    ]);
    const gate = records[1];
    expect(gate).toMatchObject({
      verdict: "fail",
      eventId: `scan-timeout:${overdue.key}`,
      eventType: "scan-timeout-check",
    });
    expect(gate?.reasons?.[0]).toMatch(/^requireScan: no completed scan 30 minutes after the push/);
    expect((await h.audit().verifyImage(overdue.key, new Date())).ok).toBe(true);
    // Inside its timeout, or in a repository that does not require a scan: left alone.
    expect((await h.audit().byImage(recent.key)).map((r) => r.action)).toEqual(["event-received"]);
    expect((await h.audit().byImage(relaxed.key)).map((r) => r.action)).toEqual(["event-received"]);
    expect(sweep.emf).toContainEqual(
      expect.objectContaining({ TimeoutDecisions: 1, TimeoutFailures: 1 }),
    );

    // The next scheduled run finds the decision and does nothing new.
    const items = (await h.items()).length;
    const next = await h.invoke(FN, handler, { ...SCHEDULED, id: "next-run" });

    expect(next.result).toEqual({ decided: 0, failed: 0 });
    expect(storageClassCalls()).toHaveLength(1);
    expect(h.snsMock.commandCalls(PublishCommand)).toHaveLength(1);
    expect(next.dynamoOps.filter(isDynamoWrite)).toEqual([]);
    expect((await h.items()).length).toBe(items);
  });

  it("decides a late but complete scan on its findings, and passes a clean image", async () => {
    const clean = await pushed("team/api", 45 * MINUTE, {
      status: "COMPLETE",
      basic: [],
      completedAt: new Date(),
    });
    const handler = await h.load(FN);

    const sweep = await h.invoke(FN, handler, SCHEDULED);

    expect(sweep.result).toEqual({ decided: 1, failed: 0 });
    expect(storageClassCalls()).toEqual([]);
    expect(h.snsMock.calls()).toEqual([]);
    const records = await h.audit().byImage(clean.key);
    expect(records.map((r) => [r.action, r.verdict])).toEqual([
      ["event-received", undefined],
      ["gate-evaluated", "pass"],
    ]);
  });

  it("an image already decided by its scan event is not swept", async () => {
    const { digest, key } = await pushed("team/api", 45 * MINUTE, {
      status: "COMPLETE",
      basic: [],
      completedAt: new Date(),
    });
    const scan = eventFixture("ecr-basic-scan-complete");
    Object.assign(detailOf(scan), { "image-digest": digest, "repository-name": "team/api" });
    await h.invoke("on-scan-complete", await h.load("on-scan-complete"), scan);
    const items = (await h.items()).length;
    const handler = await h.load(FN);

    const sweep = await h.invoke(FN, handler, SCHEDULED);

    expect(sweep.result).toEqual({ decided: 0, failed: 0 });
    expect((await h.items()).length).toBe(items);
    expect(
      (await h.audit().byImage(key)).filter((r) => r.action === "gate-evaluated"),
    ).toHaveLength(1);
  });

  it("one image ECR will not answer for fails the run, after the others are decided", async () => {
    const broken = await pushed("team/broken", 45 * MINUTE, IN_PROGRESS);
    const overdue = await pushed("team/api", 45 * MINUTE, IN_PROGRESS);
    const image = [...h.ecr.images.values()].find((i) => i.repository === "team/broken");
    if (image) {
      image.failWith = new ECRServiceException({
        name: "AccessDeniedException",
        $fault: "client",
        $metadata: { httpStatusCode: 400 },
        message: "not authorized to perform: ecr:DescribeImages",
      });
    }
    const handler = await h.load(FN);

    const sweep = await h.invoke(FN, handler, SCHEDULED);

    // The run fails (Lambda Errors alarm, schedule retry) and names the image it could not decide.
    expect(sweep.error).toMatchObject({ code: "SCAN_TIMEOUT_SWEEP_FAILED" });
    expect((sweep.error as Error).message).toContain(broken.key);
    expect((await h.audit().byImage(overdue.key)).map((r) => r.action)).toEqual([
      "event-received",
      "gate-evaluated",
      "quarantined",
      "alert-sent",
    ]);
    expect((await h.audit().byImage(broken.key)).map((r) => r.action)).toEqual(["event-received"]);
    expect(sweep.emf).toContainEqual(
      expect.objectContaining({ TimeoutDecisions: 1, TimeoutFailures: 1, TimeoutErrors: 1 }),
    );
  });

  it("an empty table: the sweep reads and writes nothing else", async () => {
    const handler = await h.load(FN);

    const sweep = await h.invoke(FN, handler, SCHEDULED);

    expect(sweep.result).toEqual({ decided: 0, failed: 0 });
    expect(sweep.dynamoOps).toEqual(["Query"]);
    expect(h.ecrMock.calls()).toEqual([]);
  });
});
