import { BatchGetImageCommand, DescribeImagesCommand } from "@aws-sdk/client-ecr";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  ACCOUNT,
  commandName,
  detailOf,
  eventFixture,
  HandlerHarness,
  ociManifest,
} from "../support/lambda-harness.ts";

const FN = "on-image-push";
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

const MEDIA_TYPE = "application/vnd.oci.image.manifest.v1+json";

/** The documented push sample (us-west-2), about an image whose bytes the fake ECR serves. */
function pushScenario(opts: { servedManifest?: string } = {}) {
  const { manifest, digest } = ociManifest("pushed");
  h.ecr.add({
    region: "us-west-2",
    registryId: ACCOUNT,
    repository: "my-repository-name",
    digest,
    manifest: opts.servedManifest ?? manifest,
    mediaType: MEDIA_TYPE,
    tags: ["latest"],
    pushedAt: new Date("2019-11-16T01:54:33Z"),
    status: "ACTIVE",
  });
  const event = eventFixture("ecr-image-push");
  detailOf(event)["image-digest"] = digest;
  return { event, digest, key: `ecr:${ACCOUNT}/my-repository-name@${digest}` };
}

describe("on-image-push", () => {
  it("records a push once, with the digest verified against the manifest bytes", async () => {
    const { event, digest, key } = pushScenario();
    const handler = await h.load(FN, "us-west-2");

    const run = await h.invoke(FN, handler, event);

    expect(run.error).toBeUndefined();
    expect(run.result).toMatchObject({ status: "recorded", kind: "image-pushed", image: key });
    // The manifest was fetched by digest and hashed: that is what "verified" means.
    expect(h.ecrMock.calls().map(commandName)).toEqual(["DescribeImages", "BatchGetImage"]);
    expect(h.ecrMock.commandCalls(BatchGetImageCommand)[0]?.args[0].input).toMatchObject({
      registryId: ACCOUNT,
      repositoryName: "my-repository-name",
      imageIds: [{ imageDigest: digest }],
    });
    expect(h.snsMock.calls()).toEqual([]);
    const records = await h.audit().byImage(key);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      action: "event-received",
      eventType: "image-pushed",
      eventId: event.id,
      digest,
      tags: ["latest"],
      detail: { source: "ecr", pushedAt: event.time, mediaType: MEDIA_TYPE },
    });
    expect(records[0]?.principal).toBeUndefined();
    expect((await h.audit().verifyImage(key, new Date())).ok).toBe(true);
  });

  it("refuses an image whose served manifest hashes to another digest, writing nothing", async () => {
    // The registry serves other bytes under the event's digest (a trailing newline is enough).
    const { manifest } = ociManifest("pushed");
    const { event } = pushScenario({ servedManifest: `${manifest}\n` });
    const handler = await h.load(FN, "us-west-2");

    const run = await h.invoke(FN, handler, event);

    expect(run.error).toMatchObject({ code: "DIGEST_MISMATCH", name: "DigestMismatchError" });
    expect(await h.items()).toEqual([]);
    expect(run.dynamoOps).toEqual([]);
  });

  it("records nothing for a push of an image that is already gone", async () => {
    const { event } = pushScenario();
    h.ecr.images.clear();
    // Another image keeps the repository itself in existence.
    const other = ociManifest("other");
    h.ecr.add({
      region: "us-west-2",
      registryId: ACCOUNT,
      repository: "my-repository-name",
      ...other,
      mediaType: MEDIA_TYPE,
      tags: [],
      pushedAt: new Date(),
      status: "ACTIVE",
    });
    const handler = await h.load(FN, "us-west-2");

    const run = await h.invoke(FN, handler, event);

    expect(run.result).toMatchObject({ status: "image-gone" });
    expect(h.ecrMock.commandCalls(DescribeImagesCommand)).toHaveLength(1);
    expect(await h.items()).toEqual([]);
  });

  it("records a delete without asking ECR about the deleted image", async () => {
    const event = eventFixture("ecr-image-delete");
    const digest = String(detailOf(event)["image-digest"]);
    const key = `ecr:${ACCOUNT}/my-repository-name@${digest}`;
    const handler = await h.load(FN, "us-west-2");

    const run = await h.invoke(FN, handler, event);

    expect(run.result).toMatchObject({ status: "recorded", kind: "image-deleted", image: key });
    expect(h.ecrMock.calls()).toEqual([]);
    const records = await h.audit().byImage(key);
    expect(records.map((r) => [r.action, r.eventId, r.tags])).toEqual([
      ["image-deleted", event.id, ["latest"]],
    ]);
  });

  it("records CloudTrail's PutImage with the caller's ARN as principal", async () => {
    const event = eventFixture("cloudtrail-put-image");
    const digest = "sha256:98c8b060c21d9adbb6b8c41b916e95e6307102786973ab93a41e8b86d1fc6d3e";
    const key = `ecr:${ACCOUNT}/testrepo@${digest}`;
    const handler = await h.load(FN, "us-east-2");

    const run = await h.invoke(FN, handler, event);

    expect(run.result).toMatchObject({ status: "recorded", kind: "push-recorded", image: key });
    expect(h.ecrMock.calls()).toEqual([]);
    const records = await h.audit().byImage(key);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      action: "push-recorded",
      eventType: "push-recorded",
      principal: "arn:aws:sts::123456789012:user/Mary_Major",
      detail: {
        source: "cloudtrail",
        sourceIp: "203.0.113.12",
        userAgent: "console.amazonaws.com",
      },
    });
  });

  it("records a cosign signature push on the chain of the image it signs", async () => {
    const event = eventFixture("ecr-referrer-push");
    const referrer = String(detailOf(event)["image-digest"]);
    const subject = "sha256:7f5b2640fe6fb4f46592dfd3410c4a79dac4f89e4782432e0378abcd12345678";
    const key = `ecr:${ACCOUNT}/my-repository-name@${subject}`;
    const handler = await h.load(FN);

    const run = await h.invoke(FN, handler, event);

    expect(run.result).toMatchObject({ status: "recorded", kind: "referrer-pushed", image: key });
    const records = await h.audit().byImage(key);
    expect(records.map((r) => r.action)).toEqual(["referrer-recorded"]);
    expect(records[0]?.detail).toEqual({
      referrerDigest: referrer,
      subjectDigest: subject,
      artifactType: "application/vnd.dev.cosign.simplesigning.v1+json",
    });
    // Nothing is recorded under the referrer's own digest.
    expect(await h.audit().byImage(`ecr:${ACCOUNT}/my-repository-name@${referrer}`)).toEqual([]);
  });

  it("a redelivered push, delete, CloudTrail or referrer event adds no record", async () => {
    const { event: push } = pushScenario();
    const handler = await h.load(FN, "us-west-2");
    const events = [
      push,
      eventFixture("ecr-image-delete"),
      eventFixture("cloudtrail-put-image"),
      eventFixture("ecr-referrer-push"),
    ];
    for (const e of events) await h.invoke(FN, handler, e);
    const before = await h.items();

    for (const e of events) {
      const again = await h.invoke(FN, handler, e);
      expect(again.error).toBeUndefined();
      expect(again.result).toMatchObject({ steps: [{ status: "duplicate" }] });
    }

    expect(await h.items()).toEqual(before);
  });

  it("logs with the event id as correlation id, and no other event's id afterwards", async () => {
    const { event } = pushScenario();
    const handler = await h.load(FN, "us-west-2");

    const first = await h.invoke(FN, handler, event);
    const second = await h.invoke(FN, handler, null);

    const logs = (run: typeof first) =>
      run.output.filter(
        (l): l is Record<string, unknown> => typeof l === "object" && l !== null && "level" in l,
      );
    expect(logs(first).length).toBeGreaterThan(0);
    for (const line of logs(first)) expect(line.correlation_id).toBe(event.id);
    for (const line of logs(second)) expect(line.correlation_id).toBeUndefined();
  });
});
