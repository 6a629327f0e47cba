import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  detailOf,
  eventFixture,
  HandlerHarness,
  type Invocation,
  ociManifest,
} from "../support/lambda-harness.ts";

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

/** A scan event about an image the fake ECR holds, so nothing but the mutation is wrong. */
function scanEvent(): Record<string, unknown> {
  const { manifest, digest } = ociManifest("rejected");
  h.ecr.add({
    region: "us-east-1",
    registryId: "123456789012",
    repository: "my-repository-name",
    digest,
    manifest,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    tags: [],
    pushedAt: new Date(),
    status: "ACTIVE",
    scan: { status: "COMPLETE", basic: [] },
  });
  const event = eventFixture("ecr-basic-scan-complete");
  detailOf(event)["image-digest"] = digest;
  return event;
}

const HUGE = 4 * 1024 * 1024;

/** Bad input, the code it must be rejected with, for each function that takes raw events. */
const CASES: { name: string; code: string; event: () => unknown }[] = [
  {
    name: "missing detail",
    code: "EVENT_MISSING_FIELD",
    event: () => {
      const e = scanEvent();
      delete e.detail;
      return e;
    },
  },
  {
    name: "bad digest",
    code: "EVENT_INVALID_DIGEST",
    event: () => {
      const e = scanEvent();
      detailOf(e)["image-digest"] = "sha256:7F5B2640FE6FB4F4";
      return e;
    },
  },
  {
    name: "repository that is not an ECR name",
    code: "EVENT_INVALID_REPOSITORY",
    event: () => {
      const e = scanEvent();
      detailOf(e)["repository-name"] = "../../etc/passwd";
      return e;
    },
  },
  {
    name: "unknown event type",
    code: "EVENT_UNKNOWN_TYPE",
    event: () => eventFixture("ec2-instance-state-change"),
  },
  { name: "a JSON string", code: "EVENT_NOT_OBJECT", event: () => JSON.stringify(scanEvent()) },
  { name: "null", code: "EVENT_NOT_OBJECT", event: () => null },
  { name: "an array", code: "EVENT_NOT_OBJECT", event: () => [scanEvent()] },
  { name: "a number", code: "EVENT_NOT_OBJECT", event: () => 42 },
  {
    name: "an oversized repository name",
    code: "EVENT_INVALID_REPOSITORY",
    event: () => {
      const e = scanEvent();
      detailOf(e)["repository-name"] = "a".repeat(HUGE);
      return e;
    },
  },
  {
    name: "an oversized event id",
    code: "EVENT_INVALID",
    event: () => ({ ...scanEvent(), id: "x".repeat(HUGE) }),
  },
  {
    name: "an oversized string instead of an event",
    code: "EVENT_NOT_OBJECT",
    event: () => "{".repeat(HUGE),
  },
];

function expectNoSideEffect(run: Invocation) {
  expect(run.error).toBeUndefined();
  expect(h.ecrMock.calls()).toEqual([]);
  expect(h.snsMock.calls()).toEqual([]);
  expect(run.dynamoOps).toEqual([]);
}

describe.each(["on-scan-complete", "on-image-push"] as const)("%s rejects bad input", (fn) => {
  it.each(CASES)("$name → $code, nothing called, InvalidEvent counted", async ({ code, event }) => {
    const handler = await h.load(fn);

    const run = await h.invoke(fn, handler, event());

    expect(run.result).toMatchObject({ status: "rejected", code });
    // The message explains without echoing a huge input back into logs.
    expect((run.result as { message: string }).message.length).toBeLessThan(1000);
    expectNoSideEffect(run);
    expect(await h.items()).toEqual([]);
    expect(run.metrics).toContain("InvalidEvent");
    const emf = run.emf.find((d) => "InvalidEvent" in d);
    expect(emf).toMatchObject({ InvalidEvent: 1, service: fn });
    expect(emf?._aws.CloudWatchMetrics[0]?.Namespace).toBe("RegistryGuard");
    // The rejection is logged with its code, for the operator who wonders where an event went.
    expect(run.output).toContainEqual(
      expect.objectContaining({ level: "ERROR", message: "rejected event", code }),
    );
  });
});

describe("misrouted events", () => {
  it("a scan event delivered to on-image-push is reported, not acted on", async () => {
    const handler = await h.load("on-image-push");

    const run = await h.invoke("on-image-push", handler, scanEvent());

    expect(run.result).toEqual({ status: "misrouted", kind: "scan-completed" });
    expectNoSideEffect(run);
    expect(run.metrics).toContain("MisroutedEvent");
    expect(run.metrics).not.toContain("InvalidEvent");
  });

  it("a push event delivered to on-scan-complete is reported, not acted on", async () => {
    const handler = await h.load("on-scan-complete");
    const push = eventFixture("ecr-image-push");

    const run = await h.invoke("on-scan-complete", handler, push);

    expect(run.result).toEqual({ status: "misrouted", kind: "image-pushed" });
    expectNoSideEffect(run);
    expect(run.metrics).toContain("MisroutedEvent");
  });

  it("a recognised event we deliberately ignore (push FAILURE) changes nothing", async () => {
    const handler = await h.load("on-image-push");

    const run = await h.invoke("on-image-push", handler, eventFixture("ecr-image-push-failure"));

    expect(run.result).toMatchObject({ status: "ignored", kind: "ignored" });
    expectNoSideEffect(run);
    expect(run.metrics).toContain("Outcome_ignored");
  });
});
