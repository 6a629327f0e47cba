import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MemoryAuditLog } from "../../shared/adapters/memory/memory-audit-log.ts";
import { MemoryRegistry } from "../../shared/adapters/memory/memory-registry.ts";
import { verifyChain } from "../../shared/domain/audit-chain.ts";
import type { ScanResult } from "../../shared/domain/finding.ts";
import { type ImageRef, imageKey } from "../../shared/domain/image.ts";
import type {
  ImagePushed,
  ReferrerPushed,
  ScanCompleted,
} from "../../shared/domain/registry-event.ts";
import { handleEvent } from "../../shared/pipeline/handle-event.ts";
import type { PipelineDeps } from "../../shared/pipeline/pipeline-deps.ts";
import { recordedPushTime } from "../../shared/pipeline/recorded-push-time.ts";
import {
  type ReferrerInfo,
  ReferrerNotVisibleError,
  subjectOf,
} from "../../shared/pipeline/subject-of.ts";
import {
  completeScan,
  FAILING,
  minutesAfter,
  PASSING,
  RecordingAlerts,
  T0,
  testClock,
  testPolicy,
} from "../support/pipeline-fixtures.ts";

const HOST = "127.0.0.1:5000";
const silent = { debug() {}, info() {}, warn() {}, error() {} };
const hex = (c: string) => c.repeat(64);

/** A memory OCI registry that also reads manifests' `subject`, as the local runtime's does. */
class SubjectAwareRegistry extends MemoryRegistry {
  readonly subjects = new Map<string, ReferrerInfo>();
  lookups = 0;
  async referrerOf(ref: ImageRef): Promise<ReferrerInfo | null> {
    this.lookups++;
    return this.subjects.get(ref.digest) ?? null;
  }
}

function ociRef(repository: string, digest: string, tags: string[] = []): ImageRef {
  return { registry: "oci", registryId: HOST, repository, digest, tags };
}

function setup(registry = new SubjectAwareRegistry("oci")) {
  const time = testClock();
  const alerts = new RecordingAlerts();
  const audit = new MemoryAuditLog({ clock: time.clock });
  const deps: PipelineDeps = {
    registry,
    audit,
    alerts,
    policy: testPolicy(),
    clock: time.clock,
    log: silent,
  };
  return { deps, registry, audit, alerts, time };
}

function pushed(image: ImageRef, id: string, time = T0): ImagePushed {
  return {
    kind: "image-pushed",
    eventId: id,
    time,
    source: "distribution",
    image,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
  };
}

/** The push of the `sha256-<hex>` index that lists the subject's referrers (tag schema). */
function referrersIndexPush(subject: ImageRef, id: string): ImagePushed {
  const tag = subject.digest.replace(":", "-");
  return pushed(ociRef(subject.repository, `sha256:${hex("e")}`, [tag]), id);
}

const failing: ScanResult = completeScan(FAILING);
const passing: ScanResult = completeScan(PASSING);

describe("OCI: attaching a scan report decides the subject image", () => {
  it("a referrers-index push quarantines a failing subject under that event's id, once", async () => {
    const { deps, registry, audit, alerts } = setup();
    const app = ociRef("prod/app", `sha256:${hex("a")}`, ["1.0"]);
    registry.add(app, failing);
    await handleEvent(deps, pushed(app, "push-1"));

    const event = referrersIndexPush(app, "attach-1");
    const outcome = await handleEvent(deps, event);
    await handleEvent(deps, event); // redelivery

    expect(outcome).toMatchObject({ status: "decided", verdict: "fail", image: imageKey(app) });
    expect(registry.isQuarantined(app)).toBe(true);
    expect(registry.calls.filter((c) => c.op === "quarantine")).toHaveLength(1);
    expect(alerts.published).toHaveLength(1);
    const chain = await audit.byImage(imageKey(app));
    expect(chain.map((r) => [r.action, r.eventId, r.eventType])).toEqual([
      ["event-received", "push-1", "image-pushed"],
      ["referrer-recorded", "attach-1", "referrer-pushed"],
      ["gate-evaluated", "attach-1", "referrer-pushed"],
      ["quarantined", "attach-1", "referrer-pushed"],
      ["alert-sent", "attach-1", "referrer-pushed"],
    ]);
    expect(chain[1]?.detail).toMatchObject({ via: "referrers-tag", subjectDigest: app.digest });
    expect(verifyChain(chain, new Date(T0)).ok).toBe(true);
    // The index itself gets no chain of its own: it is not an image to gate.
    expect(await audit.byImage(imageKey(event.image))).toEqual([]);
  });

  it("a passing report decides pass and changes nothing", async () => {
    const { deps, registry, alerts } = setup();
    const app = ociRef("prod/app", `sha256:${hex("b")}`);
    registry.add(app, passing);
    const outcome = await handleEvent(deps, referrersIndexPush(app, "attach-2"));
    expect(outcome).toMatchObject({ status: "decided", verdict: "pass" });
    expect(registry.calls).toEqual([]);
    expect(alerts.published).toEqual([]);
  });

  it("a cosign .att referrer decides its subject", async () => {
    const { deps, registry } = setup();
    const app = ociRef("prod/app", `sha256:${hex("c")}`);
    registry.add(app, failing);
    const event: ReferrerPushed = {
      kind: "referrer-pushed",
      eventId: "att-1",
      time: T0,
      source: "distribution",
      image: ociRef("prod/app", `sha256:${hex("d")}`, [`sha256-${hex("c")}.att`]),
      subjectDigest: app.digest,
    };
    const outcome = await handleEvent(deps, event);
    expect(outcome).toMatchObject({ kind: "referrer-pushed", status: "decided", verdict: "fail" });
    expect(registry.isQuarantined(app)).toBe(true);
  });

  it("a manifest pushed by digest with a subject: recorded until listed, decided once listed", async () => {
    const { deps, registry, audit } = setup();
    const app = ociRef("prod/app", `sha256:${hex("1")}`);
    const report = ociRef("prod/app", `sha256:${hex("2")}`);
    registry.add(app, failing);
    registry.subjects.set(report.digest, { subjectDigest: app.digest, listed: false });

    const early = await handleEvent(deps, pushed(report, "report-push"));
    expect(early).toMatchObject({ status: "recorded", image: imageKey(app) });
    expect(registry.calls).toEqual([]);
    expect(await audit.byImage(imageKey(report))).toEqual([]);

    registry.subjects.set(report.digest, {
      subjectDigest: app.digest,
      listed: true,
      artifactType: "application/vnd.aquasec.trivy.report+json",
    });
    const listed = await handleEvent(deps, pushed(report, "report-push-2"));
    expect(listed).toMatchObject({ status: "decided", verdict: "fail" });
    const records = await audit.byImage(imageKey(app));
    expect(records.find((r) => r.eventId === "report-push-2")?.detail).toMatchObject({
      via: "manifest-subject",
      artifactType: "application/vnd.aquasec.trivy.report+json",
    });
  });

  it("a referrers-index push the registry does not show yet is retried, then decided once", async () => {
    const { deps, registry, audit, alerts } = setup();
    const app = ociRef("prod/app", `sha256:${hex("6")}`);
    registry.add(app, failing);
    const event = referrersIndexPush(app, "attach-early");
    // The notification came before the registry linked the tag.
    registry.subjects.set(event.image.digest, { subjectDigest: app.digest, listed: false });
    await expect(handleEvent(deps, event)).rejects.toBeInstanceOf(ReferrerNotVisibleError);
    expect(registry.calls).toEqual([]);

    registry.subjects.set(event.image.digest, { subjectDigest: app.digest, listed: true });
    const retried = await handleEvent(deps, event);
    expect(retried).toMatchObject({ status: "decided", verdict: "fail" });
    const chain = await audit.byImage(imageKey(app));
    expect(chain.map((r) => r.action)).toEqual([
      "referrer-recorded",
      "gate-evaluated",
      "quarantined",
      "alert-sent",
    ]);
    expect(retried.steps[0]).toMatchObject({ action: "referrer-recorded", status: "duplicate" });
    expect(alerts.published).toHaveLength(1);
  });

  it("a plain OCI image push is recorded as a push, not decided", async () => {
    const { deps, registry, audit } = setup();
    const app = ociRef("prod/app", `sha256:${hex("3")}`, ["2.0"]);
    registry.add(app, failing);
    const outcome = await handleEvent(deps, pushed(app, "p"));
    expect(outcome.status).toBe("recorded");
    expect(registry.lookups).toBe(1);
    expect((await audit.byImage(imageKey(app))).map((r) => r.action)).toEqual(["event-received"]);
  });
});

describe("OCI: the scan timeout runs from the recorded push notification", () => {
  const app = ociRef("prod/app", `sha256:${hex("4")}`);
  const none: ScanResult = { status: "NONE", scanner: "attached-report", findings: [] };

  it("waits while inside the timeout measured from the recorded push, fails after it", async () => {
    const { deps, registry, time } = setup();
    registry.add(app, none);
    const pushTime = "2024-06-01T11:50:00.000000001Z";
    await handleEvent(deps, pushed(app, "push", pushTime));

    time.set(minutesAfter(T0, 5)); // 15 minutes after the push; the timeout is 30
    const sig: ReferrerPushed = {
      kind: "referrer-pushed",
      eventId: "sig-1",
      time: T0,
      source: "distribution",
      image: ociRef("prod/app", `sha256:${hex("5")}`, [`sha256-${hex("4")}.sig`]),
      subjectDigest: app.digest,
    };
    const early = await handleEvent(deps, sig);
    expect(early).toMatchObject({
      status: "pending",
      note: "retry after 2024-06-01T12:20:00.000Z",
    });

    time.set(minutesAfter(T0, 31));
    const late = await handleEvent(deps, { ...sig, eventId: "sig-2" });
    expect(late).toMatchObject({ status: "decided", verdict: "fail" });
    expect(JSON.stringify(late.gate?.reasons)).toContain("after the push at 2024-06-01T11:50:00");
  });

  it("a scan-completed event on OCI takes the push time from the trail too", async () => {
    const { deps, registry } = setup();
    registry.add(app, none);
    await handleEvent(deps, pushed(app, "push", minutesAfter(T0, -10)));
    const scan: ScanCompleted = {
      kind: "scan-completed",
      eventId: "harbor-scan",
      time: T0,
      source: "harbor",
      image: app,
      scanType: "basic",
      status: "COMPLETE",
    };
    expect(await handleEvent(deps, scan)).toMatchObject({ status: "pending" });
  });

  it("without a recorded push the time is unknown and requireScan fails at once", async () => {
    const { deps, registry } = setup();
    registry.add(app, none);
    const outcome = await handleEvent(deps, referrersIndexPush(app, "x"));
    expect(outcome).toMatchObject({ status: "decided", verdict: "fail" });
    expect(JSON.stringify(outcome.gate?.reasons)).toContain("push time is unknown");
  });

  it("recordedPushTime takes the earliest image-pushed notification", async () => {
    const { deps, registry, audit } = setup();
    registry.add(app, none);
    await handleEvent(deps, pushed(app, "later", "2024-06-01T12:00:00+02:00"));
    await handleEvent(deps, pushed(app, "earlier", "2024-06-01T11:00:00Z"));
    expect(await recordedPushTime(audit, app)).toBe("2024-06-01T12:00:00+02:00");
  });
});

describe("subjectOf", () => {
  const plain = new MemoryRegistry("oci");

  it("reads the subject from any referrers-schema tag, and only from one", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.stringMatching(/^[a-f0-9]{64}$/),
        fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,40}$/),
        async (digestHex, otherTag) => {
          const image = ociRef("a/b", `sha256:${hex("f")}`, [`sha256-${digestHex}`]);
          const s = await subjectOf(pushed(image, "e"), plain);
          expect(s?.image.digest).toBe(`sha256:${digestHex}`);
          expect(s?.image.repository).toBe("a/b");
          const other = await subjectOf(
            pushed(ociRef("a/b", `sha256:${hex("f")}`, [otherTag]), "e"),
            plain,
          );
          expect(other === null || /^sha256-[a-f0-9]{64}$/.test(otherTag)).toBe(true);
        },
      ),
    );
  });

  it("never re-reads ECR pushes", async () => {
    const registry = new SubjectAwareRegistry("ecr");
    registry.subjects.set(`sha256:${hex("1")}`, {
      subjectDigest: `sha256:${hex("2")}`,
      listed: true,
    });
    const image: ImageRef = {
      registry: "ecr",
      registryId: "123456789012",
      repository: "app",
      digest: `sha256:${hex("1")}`,
      tags: [`sha256-${hex("2")}`],
    };
    expect(await subjectOf(pushed(image, "e"), registry)).toBeNull();
    expect(registry.lookups).toBe(0);
  });
});
