import {
  DescribeImageScanFindingsCommand,
  type ImageScanFinding,
  UpdateImageStorageClassCommand,
} from "@aws-sdk/client-ecr";
import { InternalErrorException, PublishCommand } from "@aws-sdk/client-sns";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import {
  basicFinding,
  enhancedFinding,
  type FakeImage,
  type FakeScan,
} from "../support/fake-ecr.ts";
import {
  ACCOUNT,
  detailOf,
  eventFixture,
  HandlerHarness,
  isDynamoWrite,
  ociManifest,
  TOPIC_ARN,
} from "../support/lambda-harness.ts";

const FN = "on-scan-complete";
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

/** 1,200 LOW findings, then one HIGH: the HIGH is on the second 1,000-finding page. */
function failingBasicFindings(): ImageScanFinding[] {
  const lows = Array.from({ length: 1200 }, (_, i) =>
    basicFinding(`CVE-2020-${10000 + i}`, "LOW", `lib${i}`),
  );
  return [...lows, basicFinding("CVE-2023-4911", "HIGH", "glibc")];
}

/** The documented basic-scan sample, about an image whose digest is computed from its manifest. */
function basicScanScenario(opts: { scan: FakeScan; pushedAgoMs?: number; repository?: string }) {
  const repository = opts.repository ?? "my-repository-name";
  const { manifest, digest } = ociManifest(`basic/${repository}`);
  const image = h.ecr.add({
    region: "us-east-1",
    registryId: ACCOUNT,
    repository,
    digest,
    manifest,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    tags: ["v1.2.0"],
    pushedAt: new Date(Date.now() - (opts.pushedAgoMs ?? 3 * MINUTE)),
    status: "ACTIVE",
    scan: opts.scan,
  });
  const event = eventFixture("ecr-basic-scan-complete");
  detailOf(event)["image-digest"] = digest;
  detailOf(event)["repository-name"] = repository;
  return { event, image, key: `ecr:${ACCOUNT}/${repository}@${digest}` };
}

function storageClassCalls() {
  return h.ecrMock.commandCalls(UpdateImageStorageClassCommand).map((c) => c.args[0].input);
}

function publishCalls() {
  return h.snsMock.commandCalls(PublishCommand).map((c) => c.args[0].input);
}

function archiveRequest(image: FakeImage) {
  return {
    registryId: image.registryId,
    repositoryName: image.repository,
    imageId: { imageDigest: image.digest },
    targetStorageClass: "ARCHIVE",
  };
}

async function actions(key: string): Promise<string[]> {
  return (await h.audit().byImage(key)).map((r) => r.action);
}

describe("on-scan-complete, basic scan", () => {
  it("quarantines a failing image once, alerts once and records the whole decision", async () => {
    const { event, image, key } = basicScanScenario({
      scan: { status: "COMPLETE", basic: failingBasicFindings(), completedAt: new Date() },
    });
    const handler = await h.load(FN);

    const run = await h.invoke(FN, handler, event);

    expect(run.error).toBeUndefined();
    expect(run.result).toMatchObject({
      eventId: event.id,
      kind: "scan-completed",
      image: key,
      status: "decided",
      verdict: "fail",
    });
    // Both pages were read, and the HIGH finding on the second one decided.
    const pages = h.ecrMock
      .commandCalls(DescribeImageScanFindingsCommand)
      .map((c) => c.args[0].input);
    expect(pages.map((p) => [p.maxResults, p.nextToken])).toEqual([
      [1000, undefined],
      [1000, "1000"],
    ]);
    expect(storageClassCalls()).toEqual([archiveRequest(image)]);
    expect(h.ecr.get(ACCOUNT, image.repository, image.digest)?.status).toBe("ARCHIVED");

    const published = publishCalls();
    expect(published).toHaveLength(1);
    const publish = published[0];
    expect(publish?.TopicArn).toBe(TOPIC_ARN);
    expect(publish?.MessageStructure).toBe("json");
    expect(publish?.MessageAttributes).toEqual({
      eventType: { DataType: "String", StringValue: "image.quarantined" },
      severity: { DataType: "String", StringValue: "HIGH" },
      repository: { DataType: "String", StringValue: "my-repository-name" },
      verdict: { DataType: "String", StringValue: "fail" },
    });
    const message = JSON.parse(publish?.Message ?? "{}") as Record<string, string>;
    expect(message.email).toContain("CVE-2023-4911");
    const forMachines = JSON.parse(message.sqs ?? "{}");
    expect(forMachines).toMatchObject({
      eventId: event.id,
      verdict: "fail",
      action: "quarantined",
    });

    const records = await h.audit().byImage(key);
    expect(records.map((r) => r.action)).toEqual([
      "event-received",
      "gate-evaluated",
      "quarantined",
      "alert-sent",
    ]);
    expect(new Set(records.map((r) => r.eventId))).toEqual(new Set([event.id]));
    const gate = records[1];
    expect(gate?.verdict).toBe("fail");
    expect(gate?.reasons?.join(" ")).toContain("CVE-2023-4911");
    expect(records[0]?.detail).toMatchObject({ scanType: "basic", status: "COMPLETE" });
    expect((await h.audit().verifyImage(key, new Date())).ok).toBe(true);
    expect(run.metrics).toEqual(expect.arrayContaining(["Outcome_decided", "GateFailed"]));
  });

  it("passes a clean image: no quarantine, no alert, a passing gate record", async () => {
    const { event, key } = basicScanScenario({
      scan: {
        status: "COMPLETE",
        basic: [basicFinding("CVE-2019-5188", "MEDIUM", "e2fsprogs")],
        completedAt: new Date(),
      },
    });
    const handler = await h.load(FN);

    const run = await h.invoke(FN, handler, event);

    expect(run.result).toMatchObject({ status: "decided", verdict: "pass" });
    expect(storageClassCalls()).toEqual([]);
    expect(publishCalls()).toEqual([]);
    const records = await h.audit().byImage(key);
    expect(records.map((r) => [r.action, r.verdict])).toEqual([
      ["event-received", undefined],
      ["gate-evaluated", "pass"],
    ]);
    expect(run.metrics).toContain("GatePassed");
  });

  it("alerts without quarantine where the repository's policy says onFail: alert", async () => {
    const { event, key } = basicScanScenario({
      repository: "sandbox/tools",
      scan: { status: "COMPLETE", basic: failingBasicFindings(), completedAt: new Date() },
    });
    const handler = await h.load(FN);

    const run = await h.invoke(FN, handler, event);

    expect(run.result).toMatchObject({ status: "decided", verdict: "fail" });
    expect(storageClassCalls()).toEqual([]);
    expect(publishCalls().map((p) => p.MessageAttributes?.eventType?.StringValue)).toEqual([
      "gate.failed",
    ]);
    expect(await actions(key)).toEqual(["event-received", "gate-evaluated", "alert-sent"]);
  });
});

describe("on-scan-complete, enhanced scan (Inspector2 Scan event)", () => {
  it("reads every page of enhanced findings at 100 a page and quarantines on a CRITICAL", async () => {
    const repository = "amazon/amazon-ecs-sample";
    const { manifest, digest } = ociManifest("enhanced");
    const enhanced = [
      ...Array.from({ length: 249 }, (_, i) =>
        enhancedFinding(`CVE-2021-${20000 + i}`, "LOW", `pkg${i}`, 2.1),
      ),
      enhancedFinding("CVE-2024-3094", "CRITICAL", "xz-libs", 10),
    ];
    const image = h.ecr.add({
      region: "us-east-2",
      registryId: ACCOUNT,
      repository,
      digest,
      manifest,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      tags: ["latest"],
      pushedAt: new Date(Date.now() - 2 * MINUTE),
      status: "ACTIVE",
      scan: { status: "ACTIVE", enhanced, completedAt: new Date() },
    });
    const event = eventFixture("inspector2-scan");
    detailOf(event)["image-digest"] = digest;
    const key = `ecr:${ACCOUNT}/${repository}@${digest}`;
    // Inspector2 Scan events for us-east-2 reach the function deployed in us-east-2.
    const handler = await h.load(FN, "us-east-2");

    const run = await h.invoke(FN, handler, event);

    expect(run.error).toBeUndefined();
    expect(run.result).toMatchObject({ status: "decided", verdict: "fail", image: key });
    const pages = h.ecrMock
      .commandCalls(DescribeImageScanFindingsCommand)
      .map((c) => c.args[0].input);
    expect(pages).toHaveLength(3);
    // Every request names the repository from the ARN, not the ARN itself.
    for (const p of pages) {
      expect(p).toMatchObject({
        registryId: ACCOUNT,
        repositoryName: repository,
        imageId: { imageDigest: digest },
      });
    }
    // Once the first response shows enhanced findings, pages are asked for at 100.
    expect(pages.slice(1).map((p) => p.maxResults)).toEqual([100, 100]);
    expect(storageClassCalls()).toEqual([archiveRequest(image)]);
    expect(publishCalls()).toHaveLength(1);
    const records = await h.audit().byImage(key);
    expect(records.map((r) => r.action)).toEqual([
      "event-received",
      "gate-evaluated",
      "quarantined",
      "alert-sent",
    ]);
    expect(records[0]?.detail).toMatchObject({ scanType: "enhanced", source: "inspector2" });
    expect(records[1]?.reasons?.join(" ")).toContain("CVE-2024-3094");
    expect((await h.audit().verifyImage(key, new Date())).ok).toBe(true);
  });
});

describe("on-scan-complete, at-least-once delivery", () => {
  it("does nothing more when the same event is delivered twice", async () => {
    const { event, key } = basicScanScenario({
      scan: { status: "COMPLETE", basic: failingBasicFindings(), completedAt: new Date() },
    });
    const handler = await h.load(FN);
    await h.invoke(FN, handler, event);
    const itemsAfterFirst = (await h.items()).length;

    const again = await h.invoke(FN, handler, structuredClone(event));

    expect(again.error).toBeUndefined();
    // The redelivery reports the recorded decision, not a new one.
    expect(again.result).toMatchObject({ status: "decided", verdict: "fail" });
    expect(storageClassCalls()).toHaveLength(1);
    expect(publishCalls()).toHaveLength(1);
    expect(again.dynamoOps.filter(isDynamoWrite)).toEqual([]);
    expect((await h.items()).length).toBe(itemsAfterFirst);
    expect(await actions(key)).toEqual([
      "event-received",
      "gate-evaluated",
      "quarantined",
      "alert-sent",
    ]);
  });

  it("a duplicate of an alert-only decision neither re-reads to a new verdict nor re-alerts", async () => {
    const { event, key } = basicScanScenario({
      repository: "sandbox/tools",
      scan: { status: "COMPLETE", basic: failingBasicFindings(), completedAt: new Date() },
    });
    const handler = await h.load(FN);
    await h.invoke(FN, handler, event);
    // The findings change between the deliveries: the first decision stands.
    const image = [...h.ecr.images.values()][0] as FakeImage;
    image.scan = { status: "COMPLETE", basic: [], completedAt: new Date() };

    const again = await h.invoke(FN, handler, event);

    expect(again.result).toMatchObject({ status: "decided" });
    expect(publishCalls()).toHaveLength(1);
    expect(again.dynamoOps.filter(isDynamoWrite)).toEqual([]);
    expect(await actions(key)).toEqual(["event-received", "gate-evaluated", "alert-sent"]);
  });

  it("a failed Publish throws for a Lambda retry; the retry alerts once and does not quarantine again", async () => {
    const { event, image, key } = basicScanScenario({
      scan: { status: "COMPLETE", basic: failingBasicFindings(), completedAt: new Date() },
    });
    h.snsMock
      .on(PublishCommand)
      .rejectsOnce(
        new InternalErrorException({
          message: "Internal error",
          $metadata: { httpStatusCode: 500 },
        }),
      )
      .resolves({ MessageId: "retry-message-id" });
    const handler = await h.load(FN);

    const first = await h.invoke(FN, handler, event);

    expect(first.error).toMatchObject({ code: "SNS_PUBLISH_FAILED" });
    expect(storageClassCalls()).toEqual([archiveRequest(image)]);
    expect(await actions(key)).toEqual(["event-received", "gate-evaluated", "quarantined"]);

    // Lambda's retry: same event, same container.
    const retry = await h.invoke(FN, handler, event);

    expect(retry.error).toBeUndefined();
    expect(storageClassCalls()).toHaveLength(1);
    expect(publishCalls()).toHaveLength(2);
    // The retried alert is the decision's alert: it names the finding that failed the gate.
    const alert = JSON.parse(publishCalls()[1]?.Message ?? "{}") as Record<string, string>;
    expect(alert.email).toContain("CVE-2023-4911");
    const records = await h.audit().byImage(key);
    expect(records.map((r) => r.action)).toEqual([
      "event-received",
      "gate-evaluated",
      "quarantined",
      "alert-sent",
    ]);
    expect(records.find((r) => r.action === "alert-sent")?.detail).toMatchObject({
      messageId: "retry-message-id",
    });
    expect((await h.audit().verifyImage(key, new Date())).ok).toBe(true);
    // One container: the SDK clients were built once and reused by both invocations.
    expect(new Set(h.ecrMock.calls().map((c) => c.thisValue)).size).toBe(1);
    expect(new Set(h.snsMock.calls().map((c) => c.thisValue)).size).toBe(1);
  });

  it("a retry in a new container after the first one's lease finishes the decision once", async () => {
    const { event, image, key } = basicScanScenario({
      scan: { status: "COMPLETE", basic: failingBasicFindings(), completedAt: new Date() },
    });
    h.snsMock
      .on(PublishCommand)
      .rejectsOnce(
        new InternalErrorException({
          message: "Internal error",
          $metadata: { httpStatusCode: 500 },
        }),
      )
      .resolves({ MessageId: "second-container" });
    const first = await h.invoke(FN, await h.load(FN), event);
    expect(first.error).toMatchObject({ code: "SNS_PUBLISH_FAILED" });

    // Lambda's asynchronous retry comes a minute or more later, possibly in a fresh container,
    // which cannot know whether the first is still running: it waits out the lease (the function
    // timeout) and then takes over.
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + 2 * MINUTE, shouldAdvanceTime: true });
    try {
      const retry = await h.invoke(FN, await h.load(FN), event);

      expect(retry.error).toBeUndefined();
      expect(retry.result).toMatchObject({ status: "decided", verdict: "fail" });
    } finally {
      vi.useRealTimers();
    }
    expect(storageClassCalls()).toEqual([archiveRequest(image)]);
    expect(publishCalls()).toHaveLength(2);
    const alert = JSON.parse(publishCalls()[1]?.Message ?? "{}") as Record<string, string>;
    expect(alert.email).toContain("CVE-2023-4911");
    expect(await actions(key)).toEqual([
      "event-received",
      "gate-evaluated",
      "quarantined",
      "alert-sent",
    ]);
    expect((await h.audit().verifyImage(key, new Date(Date.now() + 2 * MINUTE))).ok).toBe(true);
  });

  it("a new scan event for an image already quarantined is recorded, not decided again", async () => {
    const { event, key } = basicScanScenario({
      scan: { status: "COMPLETE", basic: failingBasicFindings(), completedAt: new Date() },
    });
    const handler = await h.load(FN);
    await h.invoke(FN, handler, event);
    h.ecrMock.resetHistory();

    // Inspector's rescan, or a late event: another id, same image.
    const rescan = await h.invoke(FN, handler, { ...event, id: "a-later-scan-event" });

    expect(rescan.error).toBeUndefined();
    expect(rescan.result).toMatchObject({ status: "recorded" });
    expect(h.ecrMock.commandCalls(DescribeImageScanFindingsCommand)).toEqual([]);
    expect(storageClassCalls()).toEqual([]);
    expect(publishCalls()).toHaveLength(1);
    const records = await h.audit().byImage(key);
    expect(records.map((r) => [r.action, r.eventId])).toEqual([
      ["event-received", event.id],
      ["gate-evaluated", event.id],
      ["quarantined", event.id],
      ["alert-sent", event.id],
      ["event-received", "a-later-scan-event"],
    ]);
  });
});
