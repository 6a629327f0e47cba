import { describe, expect, it } from "vitest";
import { imageKey } from "../../shared/domain/image.ts";
import { checkSignatureDeadlines } from "../../shared/pipeline/check-signature-deadlines.ts";
import { dryRunDeps } from "../../shared/pipeline/dry-run.ts";
import { handleEvent } from "../../shared/pipeline/handle-event.ts";
import { generateTestKey, legacySignature, type TestKey } from "../support/cosign-vectors.ts";
import {
  actionsOf,
  type Harness,
  harness,
  memoryStore,
  minutesAfter,
  pushEvent,
  recordsOf,
  T0,
  type TestImage,
  testPolicy,
} from "../support/pipeline-fixtures.ts";
import {
  ecrReference,
  indentBlock,
  pushedImage,
  sigPushEvent,
} from "../support/signature-pipeline-fixtures.ts";
import { legacyCandidates } from "../support/sigstore-keyless-vectors.ts";

const trusted = generateTestKey("p256");
const stranger = generateTestKey("p256");

/** signed/** quarantines unsigned images, signed-alert/** only alerts, other/** is not required. */
const POLICY = `version: 1
defaults:
  gate:
    blockAt: HIGH
    requireScan: false
    onFail: alert
  signatures:
    keys:
      - name: release
        pem: |
${indentBlock(trusted.publicPem, 10)}
    gracePeriod: 10m
repositories:
  - match: "signed/**"
    signatures:
      required: true
      onFail: quarantine
      matchReference: true
  - match: "signed-alert/**"
    signatures:
      required: true
`;

async function setup(): Promise<Harness> {
  return harness(memoryStore, testPolicy(POLICY));
}

async function sign(h: Harness, image: TestImage, key: TestKey, repository?: string) {
  const layer = legacySignature(key, {
    reference: ecrReference(repository ?? image.ref.repository),
    digest: image.ref.digest,
  });
  h.registry.attachSignatures(image.ref, await legacyCandidates([layer]));
}

const signatureActions = async (h: Harness, image: TestImage) =>
  (await actionsOf(h.audit, image.ref)).filter(
    (a) => a.startsWith("signature-") || a === "quarantined" || a === "alert-sent",
  );

describe("signatures in the pipeline", () => {
  it("a signature pushed within the grace period verifies the image: recorded, no alert, no quarantine", async () => {
    const h = await setup();
    const image = pushedImage(h, "signed/app");
    await handleEvent(h.deps, pushEvent(image, { time: T0 }));
    h.time.set(minutesAfter(T0, 3));
    await sign(h, image, trusted);
    const outcome = await handleEvent(h.deps, sigPushEvent(image, "sig-1", minutesAfter(T0, 3)));

    expect(outcome.steps.map((s) => s.action)).toContain("signature-verified");
    const verified = (await recordsOf(h.audit, image.ref)).find(
      (r) => r.action === "signature-verified",
    );
    expect(verified?.detail?.signedBy).toMatch(/^key release/);
    expect(verified?.detail?.key).toMatchObject({ name: "release" });

    h.time.set(minutesAfter(T0, 30));
    expect(await checkSignatureDeadlines(h.deps)).toEqual([]);
    expect(await signatureActions(h, image)).toEqual(["signature-verified"]);
    expect(h.alerts.published).toEqual([]);
    expect(h.registry.calls).toEqual([]);
  });

  it("no signature by the end of the grace period: signature-failed, quarantine, one alert", async () => {
    const h = await setup();
    const image = pushedImage(h, "signed/app");
    await handleEvent(h.deps, pushEvent(image, { time: T0 }));

    h.time.set(minutesAfter(T0, 9));
    expect(await checkSignatureDeadlines(h.deps)).toEqual([]);

    h.time.set(minutesAfter(T0, 11));
    const [outcome] = await checkSignatureDeadlines(h.deps);
    expect(outcome).toMatchObject({ status: "decided", verdict: "fail" });
    // A second sweep, and a second sweep of another process, change nothing.
    await checkSignatureDeadlines(h.deps);
    await checkSignatureDeadlines(h.sibling());

    expect(await signatureActions(h, image)).toEqual([
      "signature-failed",
      "quarantined",
      "alert-sent",
    ]);
    const failed = (await recordsOf(h.audit, image.ref)).find(
      (r) => r.action === "signature-failed",
    );
    expect(failed?.eventId).toBe(`signature-deadline:${imageKey(image.ref)}`);
    expect(failed?.reasons).toEqual(["no signatures found"]);
    expect(h.registry.isQuarantined(image.ref)).toBe(true);
    expect(h.alerts.published).toHaveLength(1);
    expect(h.alerts.published[0]?.attributes).toMatchObject({
      eventType: "signature-failed",
      repository: "signed/app",
      verdict: "fail",
    });
    expect(h.alerts.published[0]?.json).toMatchObject({ action: "quarantined" });
  });

  it("onFail alert: the unsigned image is alerted about and left in place", async () => {
    const h = await setup();
    const image = pushedImage(h, "signed-alert/app");
    await handleEvent(h.deps, pushEvent(image, { time: T0 }));
    h.time.set(minutesAfter(T0, 15));
    await checkSignatureDeadlines(h.deps);
    expect(await signatureActions(h, image)).toEqual(["signature-failed", "alert-sent"]);
    expect(h.registry.calls).toEqual([]);
    expect(h.alerts.published).toHaveLength(1);
  });

  it("a bad signature then a good one within the grace period passes", async () => {
    const h = await setup();
    const image = pushedImage(h, "signed/app");
    await handleEvent(h.deps, pushEvent(image, { time: T0 }));

    h.time.set(minutesAfter(T0, 2));
    await sign(h, image, stranger);
    const bad = await handleEvent(h.deps, sigPushEvent(image, "sig-bad", minutesAfter(T0, 2)));
    expect(bad.steps.map((s) => s.action)).toContain("signature-pending");
    const pending = (await recordsOf(h.audit, image.ref)).find(
      (r) => r.action === "signature-pending",
    );
    expect(pending?.reasons?.[0]).toMatch(/SIGNATURE_INVALID|KEY/);

    h.time.set(minutesAfter(T0, 5));
    await sign(h, image, trusted);
    await handleEvent(h.deps, sigPushEvent(image, "sig-good", minutesAfter(T0, 5)));

    h.time.set(minutesAfter(T0, 20));
    expect(await checkSignatureDeadlines(h.deps)).toEqual([]);
    expect(await signatureActions(h, image)).toEqual(["signature-pending", "signature-verified"]);
    expect(h.alerts.published).toEqual([]);
    expect(h.registry.isQuarantined(image.ref)).toBe(false);
  });

  it("a signature for another repository does not verify when matchReference is on", async () => {
    const h = await setup();
    const image = pushedImage(h, "signed/app");
    await handleEvent(h.deps, pushEvent(image, { time: T0 }));
    await sign(h, image, trusted, "signed/other");
    await handleEvent(h.deps, sigPushEvent(image, "sig-replay", T0));
    expect(await signatureActions(h, image)).toEqual(["signature-pending"]);
    const pending = (await recordsOf(h.audit, image.ref)).find(
      (r) => r.action === "signature-pending",
    );
    expect(pending?.reasons?.join("\n")).toMatch(/REFERENCE_MISMATCH/);
  });

  it("duplicate deliveries write no second record and send no second alert", async () => {
    const h = await setup();
    const image = pushedImage(h, "signed/app");
    await handleEvent(h.deps, pushEvent(image, { time: T0 }));
    await sign(h, image, trusted);
    const event = sigPushEvent(image, "sig-dup", T0);
    await handleEvent(h.deps, event);
    const again = await handleEvent(h.deps, event);
    await handleEvent(h.sibling(), event);
    expect(again.steps.find((s) => s.action === "signature-verified")?.status).toBe("duplicate");
    expect(await signatureActions(h, image)).toEqual(["signature-verified"]);

    // The same for a failure: concurrent sweeps decide once.
    const unsigned = pushedImage(h, "signed/unsigned");
    await handleEvent(h.deps, pushEvent(unsigned, { time: T0 }));
    h.time.set(minutesAfter(T0, 12));
    await Promise.all([checkSignatureDeadlines(h.deps), checkSignatureDeadlines(h.deps)]);
    expect(await signatureActions(h, unsigned)).toEqual([
      "signature-failed",
      "quarantined",
      "alert-sent",
    ]);
    expect(h.alerts.published).toHaveLength(1);
  });

  it("an unverified signature after the deadline leaves the decision to the sweep", async () => {
    const h = await setup();
    const image = pushedImage(h, "signed/app");
    await handleEvent(h.deps, pushEvent(image, { time: T0 }));
    h.time.set(minutesAfter(T0, 30));
    await sign(h, image, stranger);
    const late = await handleEvent(h.deps, sigPushEvent(image, "sig-late", minutesAfter(T0, 30)));
    expect(late.note).toMatch(/deadline sweep decides/);
    expect(await signatureActions(h, image)).toEqual([]);
    await checkSignatureDeadlines(h.deps);
    expect(await signatureActions(h, image)).toEqual([
      "signature-failed",
      "quarantined",
      "alert-sent",
    ]);
  });

  it("repositories without signatures.required are unaffected", async () => {
    const h = await setup();
    const image = pushedImage(h, "other/app");
    await handleEvent(h.deps, pushEvent(image, { time: T0 }));
    await sign(h, image, stranger);
    const outcome = await handleEvent(h.deps, sigPushEvent(image, "sig-other", T0));
    expect(outcome.steps.map((s) => s.action)).toEqual(["referrer-recorded"]);
    h.time.set(minutesAfter(T0, 60));
    expect(await checkSignatureDeadlines(h.deps)).toEqual([]);
    expect(await signatureActions(h, image)).toEqual([]);
    expect(h.alerts.published).toEqual([]);
  });

  it("a dry run of the deadline verifies and plans, and writes nothing", async () => {
    const h = await setup();
    const image = pushedImage(h, "signed/app");
    await handleEvent(h.deps, pushEvent(image, { time: T0 }));
    h.time.set(minutesAfter(T0, 11));
    const dry = dryRunDeps(h.deps);
    const [outcome] = await checkSignatureDeadlines(dry.deps);
    expect(outcome).toMatchObject({ verdict: "fail" });
    expect(dry.planned.map((p) => p.effect)).toEqual(["quarantine", "alert"]);
    expect(await signatureActions(h, image)).toEqual([]);
    expect(h.alerts.published).toEqual([]);
    expect(h.registry.calls).toEqual([]);

    // Signed: the dry run finds the signature through the real registry.
    await sign(h, image, trusted);
    const signedDry = dryRunDeps(h.deps);
    const [verified] = await checkSignatureDeadlines(signedDry.deps);
    expect(verified).toMatchObject({ verdict: "pass" });
    expect(signedDry.planned).toEqual([]);
  });
});
