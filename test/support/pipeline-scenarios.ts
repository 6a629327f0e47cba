import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DigestMismatchError } from "../../shared/domain/digest-mismatch-error.ts";
import { type ImageRef, imageKey, repositoryKey } from "../../shared/domain/image.ts";
import { checkScanTimeouts } from "../../shared/pipeline/check-scan-timeouts.ts";
import { dryRunDeps } from "../../shared/pipeline/dry-run.ts";
import { handleEvent } from "../../shared/pipeline/handle-event.ts";
import { DecisionInProgressError } from "../../shared/pipeline/in-flight.ts";
import type { PipelineDeps } from "../../shared/pipeline/pipeline-deps.ts";
import type { PipelineOutcome } from "../../shared/pipeline/pipeline-outcome.ts";
import { ReleaseError, releaseImage } from "../../shared/pipeline/release-image.ts";
import { ScanTimeoutSweepError } from "../../shared/pipeline/scan-timeout-sweep-error.ts";
import {
  type AuditStoreKind,
  actionsOf,
  chainOk,
  completeScan,
  countBy,
  FAILING,
  finding,
  type Harness,
  harness,
  IN_PROGRESS,
  minutesAfter,
  PASSING,
  pushEvent,
  recordingEffects,
  recordsOf,
  scanEvent,
  T0,
  testImage,
} from "./pipeline-fixtures.ts";

const REVIEWER = "arn:aws:iam::123456789012:user/security-reviewer";

/** The pipeline's use cases against one audit store; the same scenarios run on every store. */
export function describePipelineScenarios(store: AuditStoreKind): void {
  beforeAll(() => store.setup());
  afterAll(() => store.teardown());

  const now = () => new Date(T0);
  const quarantineCalls = (h: Harness) => h.registry.calls.filter((c) => c.op === "quarantine");

  describe(`gate decisions (${store.name})`, () => {
    it("a passing image gets event-received and gate-evaluated(pass), nothing else", async () => {
      const h = await harness(store);
      const img = testImage("prod/api", "pass");
      h.add(img, completeScan(PASSING));

      const out = await handleEvent(h.deps, scanEvent(img));

      expect(out).toMatchObject({ status: "decided", verdict: "pass" });
      const records = await recordsOf(h.audit, img.ref);
      expect(records.map((r) => [r.action, r.verdict])).toEqual([
        ["event-received", undefined],
        ["gate-evaluated", "pass"],
      ]);
      expect(h.registry.calls).toEqual([]);
      expect(h.registry.isQuarantined(img.ref)).toBe(false);
      expect(h.alerts.attempts).toBe(0);
    });

    it("a failing image under onFail quarantine is quarantined, then alerted, all recorded in order", async () => {
      const h = await harness(store);
      const img = testImage("prod/api", "fail");
      h.add(img, completeScan(FAILING));
      const event = scanEvent(img);

      const out = await handleEvent(h.deps, event);

      expect(out).toMatchObject({ status: "decided", verdict: "fail" });
      expect(h.registry.isQuarantined(img.ref)).toBe(true);
      const records = await recordsOf(h.audit, img.ref);
      expect(records.map((r) => r.action)).toEqual([
        "event-received",
        "gate-evaluated",
        "quarantined",
        "alert-sent",
      ]);
      expect(records.map((r) => r.seq)).toEqual([1, 2, 3, 4]);
      expect(records.every((r) => r.eventId === event.eventId)).toBe(true);
      expect(records[1]?.verdict).toBe("fail");
      expect(records[1]?.reasons?.join(" ")).toContain("CVE-2023-4911");
      expect(records[2]?.detail).toEqual({ alreadyQuarantined: false });
      expect(records[3]?.detail).toMatchObject({ messageId: "msg-1" });
      expect(await chainOk(h.audit, img.ref, now())).toBe(true);

      expect(h.alerts.published).toHaveLength(1);
      const alert = h.alerts.published[0];
      expect(alert?.attributes).toEqual({
        eventType: "image.quarantined",
        severity: "CRITICAL",
        repository: "prod/api",
        verdict: "fail",
      });
      expect(alert?.json).toMatchObject({
        eventId: event.eventId,
        action: "quarantined",
        image: { digest: img.ref.digest },
      });
      expect(alert?.text).toContain("CVE-2023-4911");
    });

    it("a failing image under onFail alert is alerted and left pullable", async () => {
      const h = await harness(store);
      const img = testImage("sandbox/tool", "fail");
      h.add(img, completeScan(FAILING));

      await handleEvent(h.deps, scanEvent(img));

      expect(h.registry.calls).toEqual([]);
      expect(h.registry.isQuarantined(img.ref)).toBe(false);
      expect(await actionsOf(h.audit, img.ref)).toEqual([
        "event-received",
        "gate-evaluated",
        "alert-sent",
      ]);
      expect(h.alerts.published.map((a) => a.attributes)).toEqual([
        {
          eventType: "gate.failed",
          severity: "CRITICAL",
          repository: "sandbox/tool",
          verdict: "fail",
        },
      ]);
    });

    it("records the digest computed from the manifest, with the registry's and the event's tags", async () => {
      const h = await harness(store);
      const img = testImage("prod/api", "tags", ["1.0.0", "latest"]);
      h.add(img, completeScan(PASSING));
      const event = scanEvent({ ref: { ...img.ref, tags: ["release-7"] } });

      await handleEvent(h.deps, event);

      const [received] = await recordsOf(h.audit, img.ref);
      expect(received?.digest).toBe(img.ref.digest);
      expect(received?.tags).toEqual(["1.0.0", "latest", "release-7"]);
    });
  });

  describe(`idempotency (${store.name})`, () => {
    it("a duplicate delivered later changes nothing", async () => {
      const h = await harness(store);
      const img = testImage("prod/api", "dup");
      h.add(img, completeScan(FAILING));
      const event = scanEvent(img);

      await handleEvent(h.deps, event);
      const before = await recordsOf(h.audit, img.ref);
      const again = await handleEvent(h.deps, structuredClone(event));
      const third = await handleEvent(h.deps, structuredClone(event));

      expect(quarantineCalls(h)).toHaveLength(1);
      expect(h.alerts.attempts).toBe(1);
      expect(await recordsOf(h.audit, img.ref)).toEqual(before);
      for (const out of [again, third]) {
        expect(out).toMatchObject({ status: "decided", verdict: "fail" });
        expect(out.steps.map((s) => s.status)).toEqual([
          "duplicate",
          "duplicate",
          "duplicate",
          "duplicate",
        ]);
      }
    });

    it("concurrent duplicates in one process quarantine once and alert once", async () => {
      const h = await harness(store);
      const img = testImage("prod/api", "concurrent");
      h.add(img, completeScan(FAILING));
      const event = scanEvent(img);

      const outs = await Promise.all(
        Array.from({ length: 5 }, () => handleEvent(h.deps, structuredClone(event))),
      );

      expect(outs.every((o) => o.status === "decided" && o.verdict === "fail")).toBe(true);
      expect(quarantineCalls(h)).toHaveLength(1);
      expect(h.alerts.attempts).toBe(1);
      const records = await recordsOf(h.audit, img.ref);
      expect([...countBy(records, (r) => r.action).values()]).toEqual([1, 1, 1, 1]);
      expect(await chainOk(h.audit, img.ref, now())).toBe(true);
    });

    it("concurrent duplicates in separate processes sharing the store quarantine once and alert once", async () => {
      const h = await harness(store);
      const img = testImage("prod/api", "containers");
      h.add(img, completeScan(FAILING));
      const event = scanEvent(img);

      const outs = await Promise.all(
        [h.deps, h.sibling(), h.sibling()].map((deps) => handleEvent(deps, structuredClone(event))),
      );

      expect(outs.map((o) => o.verdict)).toEqual(["fail", "fail", "fail"]);
      expect(quarantineCalls(h)).toHaveLength(1);
      expect(h.alerts.attempts).toBe(1);
      const records = await recordsOf(h.audit, img.ref);
      expect(Object.fromEntries(countBy(records, (r) => r.action))).toEqual({
        "event-received": 1,
        "gate-evaluated": 1,
        quarantined: 1,
        "alert-sent": 1,
      });
      expect(await chainOk(h.audit, img.ref, now())).toBe(true);
    });

    it("a failed alert throws; the redelivery alerts once, without a second quarantine or gate record", async () => {
      const h = await harness(store);
      const img = testImage("prod/api", "sns-down");
      h.add(img, completeScan(FAILING));
      const event = scanEvent(img);
      h.alerts.failNext();

      await expect(handleEvent(h.deps, event)).rejects.toThrow("SNS is unavailable");
      expect(await actionsOf(h.audit, img.ref)).toEqual([
        "event-received",
        "gate-evaluated",
        "quarantined",
      ]);

      const retry = await handleEvent(h.deps, structuredClone(event));

      expect(retry.steps.map((s) => [s.action, s.status])).toEqual([
        ["event-received", "duplicate"],
        ["gate-evaluated", "duplicate"],
        ["quarantined", "duplicate"],
        ["alert-sent", "done"],
      ]);
      expect(await actionsOf(h.audit, img.ref)).toEqual([
        "event-received",
        "gate-evaluated",
        "quarantined",
        "alert-sent",
      ]);
      expect(quarantineCalls(h)).toHaveLength(1);
      expect(h.alerts.published).toHaveLength(1);
      // The alert is the recorded decision's, although the image can no longer be scanned.
      const alert = h.alerts.published[0];
      expect(alert?.attributes).toEqual({
        eventType: "image.quarantined",
        severity: "CRITICAL",
        repository: "prod/api",
        verdict: "fail",
      });
      expect(alert?.text).toContain("CVE-2023-4911");
      expect(await chainOk(h.audit, img.ref, now())).toBe(true);
    });

    it("another process's redelivery waits out the owner's lease, then finishes the decision", async () => {
      const h = await harness(store);
      const img = testImage("prod/api", "lease");
      h.add(img, completeScan(FAILING));
      const event = scanEvent(img);
      h.alerts.failNext();
      await expect(handleEvent(h.deps, event)).rejects.toThrow();
      const other = { ...h.sibling(), inFlight: { leaseSeconds: 60, waitMs: 50 } };

      // It cannot tell a failed owner from a slow one until the lease (60 s) is over.
      h.time.advance(30_000);
      const early = await handleEvent(other, structuredClone(event)).catch((e: unknown) => e);
      expect(early).toBeInstanceOf(DecisionInProgressError);
      expect(early).toMatchObject({ code: "DECISION_IN_PROGRESS", eventId: event.eventId });
      expect(h.alerts.attempts).toBe(1);

      h.time.advance(31_000);
      await handleEvent(other, structuredClone(event));

      expect(h.alerts.published).toHaveLength(1);
      expect(quarantineCalls(h)).toHaveLength(1);
      expect(await actionsOf(h.audit, img.ref)).toEqual([
        "event-received",
        "gate-evaluated",
        "quarantined",
        "alert-sent",
      ]);
    });

    it("a crash between quarantine and its record repeats only the idempotent quarantine", async () => {
      const h = await harness(store);
      const img = testImage("prod/api", "crash");
      h.add(img, completeScan(FAILING));
      const event = scanEvent(img);
      const append = h.audit.append.bind(h.audit);
      // The same store object (the same container): only this one write fails, after the effect.
      h.audit.append = async (input) => {
        if (input.action === "quarantined") throw new Error("DynamoDB timed out");
        return append(input);
      };

      await expect(handleEvent(h.deps, event)).rejects.toThrow("timed out");
      expect(h.registry.isQuarantined(img.ref)).toBe(true);
      h.audit.append = append;
      await handleEvent(h.deps, structuredClone(event));

      expect(quarantineCalls(h)).toHaveLength(2);
      const records = await recordsOf(h.audit, img.ref);
      expect(records.map((r) => r.action)).toEqual([
        "event-received",
        "gate-evaluated",
        "quarantined",
        "alert-sent",
      ]);
      expect(records[2]?.detail).toEqual({ alreadyQuarantined: true });
      expect(h.alerts.published).toHaveLength(1);
    });

    it("a redelivery follows the recorded decision even when the findings changed", async () => {
      const h = await harness(store);
      const img = testImage("sandbox/tool", "changed");
      h.add(img, completeScan(FAILING));
      const event = scanEvent(img);
      h.alerts.failNext();
      await expect(handleEvent(h.deps, event)).rejects.toThrow();
      h.registry.setScan(img.ref, completeScan([]));

      const retry = await handleEvent(h.deps, structuredClone(event));

      expect(retry.verdict).toBe("fail");
      expect(h.alerts.published.map((a) => a.attributes.verdict)).toEqual(["fail"]);
      expect(h.alerts.published[0]?.text).toContain("CVE-2024-0001");
    });
  });

  describe(`quarantined images are not decided again (${store.name})`, () => {
    it("a new scan event for a quarantined image is recorded and changes nothing else", async () => {
      const h = await harness(store);
      const img = testImage("prod/api", "late-scan");
      h.add(img, completeScan(FAILING));
      await handleEvent(h.deps, scanEvent(img));
      const before = await recordsOf(h.audit, img.ref);

      const late = scanEvent(img);
      const out = await handleEvent(h.deps, late);

      expect(out).toMatchObject({ status: "recorded" });
      expect(out.note).toContain("quarantined");
      const after = await recordsOf(h.audit, img.ref);
      expect(after.slice(0, before.length)).toEqual(before);
      expect(after.slice(before.length).map((r) => [r.action, r.eventId])).toEqual([
        ["event-received", late.eventId],
      ]);
      expect(quarantineCalls(h)).toHaveLength(1);
      expect(h.alerts.attempts).toBe(1);
    });
  });

  describe(`scan timeout (${store.name})`, () => {
    async function pushedUnscanned(h: Harness, repository: string, seed: string) {
      const img = testImage(repository, seed);
      h.add(img, IN_PROGRESS, T0);
      await handleEvent(h.deps, pushEvent(img, { time: T0 }));
      return img;
    }
    const sweepAt = (h: Harness, minutes: number, deps: PipelineDeps = h.deps) => {
      h.time.set(minutesAfter(T0, minutes));
      return checkScanTimeouts(deps);
    };

    it("an incomplete scan is pending: no decision until the timeout", async () => {
      const h = await harness(store);
      const img = await pushedUnscanned(h, "prod/api", "pending");
      h.time.set(minutesAfter(T0, 5));

      const out = await handleEvent(h.deps, scanEvent(img));

      expect(out).toMatchObject({ status: "pending" });
      expect(out.note).toContain(minutesAfter(T0, 30));
      expect(await actionsOf(h.audit, img.ref)).toEqual(["event-received", "event-received"]);
      expect(await sweepAt(h, 29)).toEqual([]);
      expect(await actionsOf(h.audit, img.ref)).not.toContain("gate-evaluated");
    });

    it("after the timeout the sweep fails the image for requireScan and quarantines it, once", async () => {
      const h = await harness(store);
      const img = await pushedUnscanned(h, "prod/api", "timeout");

      const [out, ...rest] = await sweepAt(h, 31);

      expect(rest).toEqual([]);
      expect(out).toMatchObject({ status: "decided", verdict: "fail" });
      expect(out?.gate?.reasons[0]?.rule).toBe("requireScan");
      expect(h.registry.isQuarantined(img.ref)).toBe(true);
      const records = await recordsOf(h.audit, img.ref);
      expect(records.map((r) => r.action)).toEqual([
        "event-received",
        "gate-evaluated",
        "quarantined",
        "alert-sent",
      ]);
      expect(records[1]?.eventId).toBe(`scan-timeout:${imageKey(img.ref)}`);
      expect(records[1]?.reasons?.[0]).toMatch(/^requireScan: no completed scan 30 minutes/);
      expect(h.alerts.published[0]?.subject).toContain("no completed scan");

      expect(await sweepAt(h, 36)).toEqual([]);
      expect(quarantineCalls(h)).toHaveLength(1);
      expect(h.alerts.attempts).toBe(1);
      expect(await chainOk(h.audit, img.ref, new Date(minutesAfter(T0, 36)))).toBe(true);
    });

    it("a sweep decides only the images of its own registry adapter", async () => {
      const h = await harness(store);
      const ecr = await pushedUnscanned(h, "prod/api", "own-ecr");
      // A push the OCI receiver recorded in the same table: the ECR adapter cannot decide it.
      const oci: ImageRef = {
        ...testImage("prod/api", "own-oci").ref,
        registry: "oci",
        registryId: "registry.example.com:5000",
      };
      delete oci.region;
      await h.audit.append({
        imageKey: imageKey(oci),
        repositoryKey: repositoryKey(oci),
        repository: oci.repository,
        digest: oci.digest,
        tags: oci.tags,
        action: "event-received",
        eventId: "oci-push-1",
        eventType: "image-pushed",
        detail: { pushedAt: T0 },
      });

      const decided = await sweepAt(h, 31);

      expect(decided.map((o) => o.image)).toEqual([imageKey(ecr.ref)]);
      expect(await actionsOf(h.audit, oci)).toEqual(["event-received"]);
      h.time.set(minutesAfter(T0, 32));
      const otherHost = await checkScanTimeouts(h.deps, {
        owns: (ref) => ref.registry === "oci" && ref.registryId === "other.example.com",
      });
      expect(otherHost).toEqual([]);
      expect(await actionsOf(h.audit, oci)).toEqual(["event-received"]);
    });

    it("overlapping sweeps, in one process or two, decide each image once", async () => {
      const h = await harness(store);
      const a = await pushedUnscanned(h, "prod/api", "overlap-a");
      const b = await pushedUnscanned(h, "prod/web", "overlap-b");
      h.time.set(minutesAfter(T0, 31));

      const runs = await Promise.all([
        checkScanTimeouts(h.deps),
        checkScanTimeouts(h.deps),
        checkScanTimeouts(h.sibling()),
      ]);

      expect(runs.flat().every((o) => o.verdict === "fail")).toBe(true);
      expect(
        quarantineCalls(h)
          .map((c) => c.image)
          .sort(),
      ).toEqual([imageKey(a.ref), imageKey(b.ref)].sort());
      expect(h.alerts.attempts).toBe(2);
      for (const img of [a, b]) {
        const counts = countBy(await recordsOf(h.audit, img.ref), (r) => r.action);
        expect(Object.fromEntries(counts)).toEqual({
          "event-received": 1,
          "gate-evaluated": 1,
          quarantined: 1,
          "alert-sent": 1,
        });
      }
    });

    it("skips images already decided, images without requireScan and deleted images", async () => {
      const h = await harness(store);
      const decided = testImage("prod/api", "decided");
      h.add(decided, completeScan(PASSING), T0);
      await handleEvent(h.deps, pushEvent(decided, { time: T0 }));
      await handleEvent(h.deps, scanEvent(decided));
      const lax = await pushedUnscanned(h, "lax/scratch", "lax");
      const deleted = await pushedUnscanned(h, "prod/api", "deleted");
      h.registry.remove(deleted.ref);
      await handleEvent(h.deps, {
        kind: "image-deleted",
        eventId: "delete-1",
        time: T0,
        source: "ecr",
        image: deleted.ref,
      });
      const counts = async () =>
        Promise.all(
          [decided, lax, deleted].map(async (i) => (await recordsOf(h.audit, i.ref)).length),
        );
      const before = await counts();

      expect(await sweepAt(h, 90)).toEqual([]);
      expect(await counts()).toEqual(before);
      expect(h.registry.calls).toEqual([]);
    });

    it("one image that cannot be decided does not stop the others", async () => {
      const h = await harness(store);
      const bad = await pushedUnscanned(h, "prod/api", "tampered");
      const good = await pushedUnscanned(h, "prod/web", "fine");
      // The registry now serves different bytes for the first digest.
      h.registry.add(bad.ref, IN_PROGRESS, { manifest: `${bad.manifest} `, pushedAt: T0 });

      const error = await sweepAt(h, 31).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(ScanTimeoutSweepError);
      const sweep = error as ScanTimeoutSweepError;
      expect(sweep.failures.map((f) => f.image)).toEqual([imageKey(bad.ref)]);
      expect(sweep.failures[0]?.error).toBeInstanceOf(DigestMismatchError);
      expect(sweep.outcomes.map((o) => o.image)).toEqual([imageKey(good.ref)]);
      expect(h.registry.isQuarantined(good.ref)).toBe(true);
      expect(await actionsOf(h.audit, bad.ref)).toEqual(["event-received"]);
    });
  });

  describe(`untrusted input (${store.name})`, () => {
    it("an image that is gone is reported and nothing is written", async () => {
      const h = await harness(store);
      const img = testImage("prod/api", "gone");

      const out = await handleEvent(h.deps, scanEvent(img));
      const push = await handleEvent(h.deps, pushEvent(img));

      expect(out).toMatchObject({ status: "image-gone", image: imageKey(img.ref), steps: [] });
      expect(push).toMatchObject({ status: "image-gone" });
      expect(await recordsOf(h.audit, img.ref)).toEqual([]);
      expect(h.registry.calls).toEqual([]);
      expect(h.alerts.attempts).toBe(0);
    });

    it("a manifest that does not hash to the event's digest throws DigestMismatchError and writes nothing", async () => {
      const h = await harness(store);
      const img = testImage("prod/api", "mismatch");
      const other = testImage("prod/api", "other");
      // The registry answers for img's digest with other bytes.
      h.registry.add(img.ref, completeScan(FAILING), { manifest: other.manifest, pushedAt: T0 });

      for (const event of [scanEvent(img), pushEvent(img)]) {
        const error = await handleEvent(h.deps, event).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(DigestMismatchError);
        expect(error).toMatchObject({
          code: "DIGEST_MISMATCH",
          expected: img.ref.digest,
          computed: other.ref.digest,
        });
      }
      expect(await recordsOf(h.audit, img.ref)).toEqual([]);
      expect(await recordsOf(h.audit, other.ref)).toEqual([]);
      expect(h.registry.calls).toEqual([]);
      expect(h.alerts.attempts).toBe(0);
    });
  });

  describe(`release (${store.name})`, () => {
    async function quarantined(h: Harness, seed: string) {
      const img = testImage("prod/api", seed);
      h.add(img, completeScan(FAILING));
      const event = scanEvent(img);
      await handleEvent(h.deps, event);
      expect(h.registry.isQuarantined(img.ref)).toBe(true);
      return { img, event };
    }

    it("refuses a release without a reason or a principal, writing nothing", async () => {
      const h = await harness(store);
      const { img } = await quarantined(h, "no-reason");
      const before = await recordsOf(h.audit, img.ref);

      for (const [reason, principal, code] of [
        ["", REVIEWER, "RELEASE_NO_REASON"],
        ["  ok ", REVIEWER, "RELEASE_NO_REASON"],
        ["patched in base image", " ", "RELEASE_NO_PRINCIPAL"],
      ] as const) {
        const error = await releaseImage(h.deps, { image: img.ref, reason, principal }).catch(
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(ReleaseError);
        expect(error).toMatchObject({ code });
      }
      expect(await recordsOf(h.audit, img.ref)).toEqual(before);
      expect(h.registry.calls.filter((c) => c.op === "release")).toEqual([]);
      expect(h.registry.isQuarantined(img.ref)).toBe(true);
    });

    it("refuses an unknown image", async () => {
      const h = await harness(store);
      const img = testImage("prod/api", "unknown");

      await expect(
        releaseImage(h.deps, { image: img.ref, reason: "reviewed", principal: REVIEWER }),
      ).rejects.toMatchObject({ name: "ReleaseError", code: "RELEASE_NOT_FOUND" });
      expect(await recordsOf(h.audit, img.ref)).toEqual([]);
    });

    it("restores a quarantined image, records who and why, and alerts once", async () => {
      const h = await harness(store);
      const { img } = await quarantined(h, "release");
      const reason = "CVE-2023-4911 not reachable: no setuid binaries in the image";

      const out = await releaseImage(h.deps, {
        image: img.ref,
        reason,
        principal: REVIEWER,
        eventId: "release-1",
      });
      await releaseImage(h.deps, {
        image: img.ref,
        reason,
        principal: REVIEWER,
        eventId: "release-1",
      });

      expect(out.steps.map((s) => [s.action, s.status])).toEqual([
        ["released", "done"],
        ["alert-sent", "done"],
      ]);
      expect(h.registry.isQuarantined(img.ref)).toBe(false);
      expect(h.registry.calls.filter((c) => c.op === "release")).toHaveLength(1);
      const released = (await recordsOf(h.audit, img.ref)).filter((r) => r.eventType === "release");
      expect(released.map((r) => r.action)).toEqual(["released", "alert-sent"]);
      expect(released[0]).toMatchObject({
        principal: REVIEWER,
        reasons: [reason],
        detail: { wasQuarantined: true },
      });
      expect(h.alerts.published).toHaveLength(2);
      const alert = h.alerts.published[1];
      expect(alert?.attributes).toEqual({
        eventType: "image.released",
        severity: "NONE",
        repository: "prod/api",
        verdict: "none",
      });
      expect(alert?.json).toMatchObject({ principal: REVIEWER, reason, wasQuarantined: true });
      expect(await chainOk(h.audit, img.ref, now())).toBe(true);
    });

    it("after a release the old event stays done, and a new failing scan quarantines again", async () => {
      const h = await harness(store);
      const { img, event } = await quarantined(h, "re-decide");
      await releaseImage(h.deps, { image: img.ref, reason: "reviewed", principal: REVIEWER });

      await handleEvent(h.deps, structuredClone(event));
      expect(h.registry.isQuarantined(img.ref)).toBe(false);

      const rescan = await handleEvent(h.deps, scanEvent(img));
      expect(rescan).toMatchObject({ status: "decided", verdict: "fail" });
      expect(h.registry.isQuarantined(img.ref)).toBe(true);
      expect(quarantineCalls(h)).toHaveLength(2);
      expect(await chainOk(h.audit, img.ref, now())).toBe(true);
    });
  });

  describe(`dry run (${store.name})`, () => {
    /** The same registry contents and trail in two harnesses: one real, one dry. */
    async function twin() {
      const real = await harness(store);
      const dry = await harness(store);
      const images = {
        fail: testImage("prod/api", "dry-fail"),
        alert: testImage("sandbox/tool", "dry-alert"),
        pass: testImage("prod/web", "dry-pass"),
        late: testImage("prod/worker", "dry-late"),
      };
      for (const h of [real, dry]) {
        h.add(images.fail, completeScan(FAILING));
        h.add(images.alert, completeScan(FAILING));
        h.add(images.pass, completeScan(PASSING));
        h.add(images.late, IN_PROGRESS);
      }
      return { real, dry, images };
    }

    it("plans exactly the effects a real run carries out, and changes nothing", async () => {
      const { real, dry, images } = await twin();
      const events = [
        pushEvent(images.late, { id: "push-late" }),
        scanEvent(images.fail, { id: "scan-fail" }),
        scanEvent(images.fail, { id: "scan-fail" }),
        scanEvent(images.alert, { id: "scan-alert" }),
        scanEvent(images.pass, { id: "scan-pass" }),
        scanEvent(images.fail, { id: "scan-fail-again" }),
      ];
      const recorded = recordingEffects(real.registry, real.alerts);
      const realDeps = { ...real.deps, registry: recorded.registry, alerts: recorded.alerts };
      const plan = dryRunDeps(dry.deps);
      const dryTrailBefore = await Promise.all(
        Object.values(images).map((i) => recordsOf(dry.audit, i.ref)),
      );

      const realOuts = [];
      const dryOuts = [];
      for (const event of events) {
        realOuts.push(await handleEvent(realDeps, structuredClone(event)));
        dryOuts.push(await handleEvent(plan.deps, structuredClone(event)));
      }
      for (const h of [real, dry]) h.time.set(minutesAfter(T0, 45));
      realOuts.push(...(await checkScanTimeouts(realDeps)));
      dryOuts.push(...(await checkScanTimeouts(plan.deps)));

      expect(plan.planned).toEqual(recorded.effects);
      expect(plan.planned.map((p) => p.effect)).toEqual([
        "quarantine",
        "alert",
        "alert",
        "quarantine",
        "alert",
      ]);
      // Message ids are the one thing a plan cannot know.
      expect(dryOuts.map(withoutMessageIds)).toEqual(realOuts.map(withoutMessageIds));
      // The dry run's trail holds what the real one does.
      for (const img of Object.values(images)) {
        const strip = (rs: { action: string; eventId: string; verdict?: string }[]) =>
          rs.map((r) => [r.action, r.eventId, r.verdict]);
        expect(strip(plan.audit.all().filter((r) => r.imageKey === imageKey(img.ref)))).toEqual(
          strip(await recordsOf(real.audit, img.ref)),
        );
      }
      // Nothing reached the wrapped registry, alerts or audit trail.
      expect(dry.registry.calls).toEqual([]);
      expect(dry.alerts.attempts).toBe(0);
      expect(
        await Promise.all(Object.values(images).map((i) => recordsOf(dry.audit, i.ref))),
      ).toEqual(dryTrailBefore);
    });

    it("reads the real trail: an event the real pipeline already handled plans nothing", async () => {
      const h = await harness(store);
      const img = testImage("prod/api", "dry-after-real");
      h.add(img, completeScan(FAILING));
      const event = scanEvent(img);
      await handleEvent(h.deps, event);
      const plan = dryRunDeps(h.deps);

      const out = await handleEvent(plan.deps, structuredClone(event));

      expect(out.steps.every((s) => s.status === "duplicate")).toBe(true);
      expect(plan.planned).toEqual([]);
      expect(plan.audit.all()).toEqual([]);
    });

    it("plans a release of a quarantined image like the real release", async () => {
      const h = await harness(store);
      const img = testImage("prod/api", "dry-release");
      h.add(img, completeScan(FAILING));
      await handleEvent(h.deps, scanEvent(img));
      const plan = dryRunDeps(h.deps);
      const before = await recordsOf(h.audit, img.ref);

      await releaseImage(plan.deps, {
        image: img.ref,
        reason: "reviewed",
        principal: REVIEWER,
        eventId: "r-1",
      });

      expect(plan.planned.map((p) => p.effect)).toEqual(["release", "alert"]);
      const alert = plan.planned[1];
      expect(alert?.effect === "alert" && alert.alert.json.wasQuarantined).toBe(true);
      expect(h.registry.isQuarantined(img.ref)).toBe(true);
      expect(await recordsOf(h.audit, img.ref)).toEqual(before);
      // The planned records continue the real chain.
      expect(plan.audit.all().map((r) => r.seq)).toEqual([before.length + 1, before.length + 2]);
    });
  });

  describe(`verdict details (${store.name})`, () => {
    it("keeps enough of a failed verdict to rebuild its alert after a redelivery", async () => {
      const h = await harness(store);
      const img = testImage("sandbox/tool", "rebuild");
      const many = Array.from({ length: 70 }, (_, i) =>
        finding(`CVE-2024-${String(1000 + i)}`, "HIGH"),
      );
      h.add(img, completeScan(many));
      const event = scanEvent(img);
      h.alerts.failNext();
      await expect(handleEvent(h.deps, event)).rejects.toThrow();

      await handleEvent(h.deps, structuredClone(event));

      const gate = (await recordsOf(h.audit, img.ref)).find((r) => r.action === "gate-evaluated");
      expect(gate?.detail).toMatchObject({ onFail: "alert", blockingTotal: 70 });
      expect(gate?.detail?.blockingIds).toHaveLength(50);
      const alert = h.alerts.published[0];
      expect(alert?.json).toMatchObject({ counts: { HIGH: 70 }, verdict: "fail" });
      expect(alert?.subject).toContain("70 HIGH");
    });
  });
}

function withoutMessageIds(o: PipelineOutcome): PipelineOutcome {
  return {
    ...o,
    steps: o.steps.map(({ detail, ...step }) => {
      if (!detail) return step;
      const { messageId: _, ...rest } = detail;
      return { ...step, detail: rest };
    }),
  };
}
