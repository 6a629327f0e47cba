// signatures.notation in the pipeline: an image signed only with a Notation (Notary Project)
// signature, made in the spec's JWS format (test/support/notation-vectors.ts), passes its
// signature requirement; signed by a subject the policy does not trust, it fails at the deadline.
import { describe, expect, it } from "vitest";
import { checkSignatureDeadlines } from "../../shared/pipeline/check-signature-deadlines.ts";
import { handleEvent } from "../../shared/pipeline/handle-event.ts";
import { jwsEnvelope, makeCa, makeLeaf, notationPayload } from "../support/notation-vectors.ts";
import {
  actionsOf,
  completeScan,
  type Harness,
  harness,
  memoryStore,
  minutesAfter,
  PASSING,
  pushEvent,
  recordsOf,
  T0,
  type TestImage,
  testImage,
  testPolicy,
} from "../support/pipeline-fixtures.ts";
import { indentBlock } from "../support/signature-pipeline-fixtures.ts";

const YEAR = 365 * 24 * 3600_000;
const at = (ms: number) => new Date(Date.parse(T0) + ms);
// Certificates valid around the pipeline's clock (T0), not the vectors' default time.
const root = makeCa({ notBefore: at(-YEAR), notAfter: at(10 * YEAR) });
const leaf = makeLeaf(root, { notBefore: at(-30 * 24 * 3600_000), notAfter: at(YEAR) });
const IDENTITY = "x509.subject: C=US, ST=WA, L=Seattle, O=Acme Rockets, CN=release signer";

/** notation/** trusts the leaf's subject; notation-other/** only another subject. */
const POLICY = `version: 1
defaults:
  gate:
    blockAt: HIGH
    requireScan: false
    onFail: alert
  signatures:
    notation:
      trustStorePems:
        - |
${indentBlock(root.pem, 10)}
      trustedIdentities: ["${IDENTITY}"]
repositories:
  - match: "notation/**"
    signatures:
      required: true
      onFail: quarantine
  - match: "notation-other/**"
    signatures:
      required: true
      onFail: quarantine
      notation:
        trustedIdentities: ["x509.subject: C=US, ST=WA, O=Someone Else"]
`;

function signed(h: Harness, repository: string) {
  const image: TestImage = testImage(repository, `${repository}-${Math.random()}`);
  h.add(image, completeScan(PASSING), T0);
  const payload = notationPayload({
    digest: image.ref.digest,
    size: Buffer.byteLength(image.manifest),
  });
  h.registry.attachNotation(image.ref, [
    {
      format: "notation",
      mediaType: "application/jose+json",
      envelope: jwsEnvelope(payload, [leaf, root], "p256", { signingTime: at(-60_000) }),
      source: { kind: "referrer", manifestDigest: `sha256:${"5e".repeat(32)}` },
    },
  ]);
  return image;
}

const signatureActions = async (h: Harness, image: TestImage) =>
  (await actionsOf(h.audit, image.ref)).filter(
    (a) => a.startsWith("signature-") || a === "quarantined" || a === "alert-sent",
  );

describe("Notation signatures in the pipeline", () => {
  it("an image signed only with Notation by a trusted identity passes", async () => {
    const h = await harness(memoryStore, testPolicy(POLICY));
    const image = signed(h, "notation/app");
    await handleEvent(h.deps, pushEvent(image, { time: T0 }));
    h.time.set(minutesAfter(T0, 11));
    const [outcome] = await checkSignatureDeadlines(h.deps);
    expect(outcome).toMatchObject({ status: "decided", verdict: "pass" });
    expect(await signatureActions(h, image)).toEqual(["signature-verified"]);
    const verified = (await recordsOf(h.audit, image.ref)).find(
      (r) => r.action === "signature-verified",
    );
    expect(verified?.detail?.identity).toMatchObject({
      name: IDENTITY,
      subject: "C=US, ST=WA, L=Seattle, O=Acme Rockets, CN=release signer",
      signingScheme: "notary.x509",
    });
    expect(h.registry.isQuarantined(image.ref)).toBe(false);
    expect(h.alerts.published).toEqual([]);
  });

  it("signed by an identity the repository does not trust: fails at the deadline", async () => {
    const h = await harness(memoryStore, testPolicy(POLICY));
    const image = signed(h, "notation-other/app");
    await handleEvent(h.deps, pushEvent(image, { time: T0 }));
    h.time.set(minutesAfter(T0, 5));
    expect(await checkSignatureDeadlines(h.deps)).toEqual([]);
    h.time.set(minutesAfter(T0, 11));
    const [outcome] = await checkSignatureDeadlines(h.deps);
    expect(outcome).toMatchObject({ status: "decided", verdict: "fail" });
    expect(await signatureActions(h, image)).toEqual([
      "signature-failed",
      "quarantined",
      "alert-sent",
    ]);
    const failed = (await recordsOf(h.audit, image.ref)).find(
      (r) => r.action === "signature-failed",
    );
    expect(failed?.reasons?.join("\n")).toMatch(/notation referrer .*NOTATION_IDENTITY_MISMATCH/);
    expect(h.registry.isQuarantined(image.ref)).toBe(true);
  });
});
