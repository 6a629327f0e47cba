import { GetPublicKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { sdkKmsPublicKeySource } from "../../shared/adapters/kms/sdk-kms-public-key-source.ts";
import { checkSignatureDeadlines } from "../../shared/pipeline/check-signature-deadlines.ts";
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
import { ecrReference, pushedImage, sigPushEvent } from "../support/signature-pipeline-fixtures.ts";
import { legacyCandidates } from "../support/sigstore-keyless-vectors.ts";

/** The KMS key's key pair: KMS keeps the private half; GetPublicKey answers with the public. */
const kmsKey = generateTestKey("p256");
const stranger = generateTestKey("p256");
const KEY_ARN = "arn:aws:kms:us-east-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

/** signed/** quarantines unsigned images; the key is named in cosign's awskms:/// form. */
const POLICY = `version: 1
defaults:
  gate:
    blockAt: HIGH
    requireScan: false
    onFail: alert
  signatures:
    keys:
      - name: release-kms
        kmsArn: awskms:///${KEY_ARN}
    gracePeriod: 10m
repositories:
  - match: "signed/**"
    signatures:
      required: true
      onFail: quarantine
  - match: "signed-alert/**"
    signatures:
      required: true
`;

const kms = mockClient(KMSClient);
beforeEach(() => kms.reset());
afterEach(() => kms.reset());

/** GetPublicKey's answer for an ECC_NIST_P256 signing key (KMS API reference). */
function answerWithPublicKey(): void {
  kms.on(GetPublicKeyCommand).resolves({
    KeyId: KEY_ARN,
    PublicKey: new Uint8Array(kmsKey.spkiDer),
    KeySpec: "ECC_NIST_P256",
    CustomerMasterKeySpec: "ECC_NIST_P256",
    KeyUsage: "SIGN_VERIFY",
    SigningAlgorithms: ["ECDSA_SHA_256"],
  });
}

function accessDenied(): Error {
  return Object.assign(
    new Error(
      "User: arn:aws:sts::111122223333:assumed-role/on-image-push/fn is not authorized to perform: kms:GetPublicKey",
    ),
    { name: "AccessDeniedException" },
  );
}

async function setup(): Promise<Harness> {
  const h = await harness(memoryStore, testPolicy(POLICY));
  h.deps.kms = sdkKmsPublicKeySource();
  return h;
}

async function sign(h: Harness, image: TestImage, key: TestKey) {
  const layer = legacySignature(key, {
    reference: ecrReference(image.ref.repository),
    digest: image.ref.digest,
  });
  h.registry.attachSignatures(image.ref, await legacyCandidates([layer]));
}

const signatureActions = async (h: Harness, image: TestImage) =>
  (await actionsOf(h.audit, image.ref)).filter(
    (a) => a.startsWith("signature-") || a === "quarantined" || a === "alert-sent",
  );

describe("KMS keys (kmsArn) in the pipeline", () => {
  it("an image signed with the KMS key's private key verifies; GetPublicKey asked once, in the key's region", async () => {
    answerWithPublicKey();
    const h = await setup();
    const image = pushedImage(h, "signed/app");
    await handleEvent(h.deps, pushEvent(image, { time: T0 }));
    h.time.set(minutesAfter(T0, 2));
    await sign(h, image, kmsKey);
    await handleEvent(h.deps, sigPushEvent(image, "sig-1", minutesAfter(T0, 2)));

    const verified = (await recordsOf(h.audit, image.ref)).find(
      (r) => r.action === "signature-verified",
    );
    expect(verified?.detail?.key).toMatchObject({ name: "release-kms" });
    expect(verified?.detail?.signedBy).toMatch(/release-kms/);
    const calls = kms.commandCalls(GetPublicKeyCommand);
    expect(calls.map((c) => c.args[0].input)).toEqual([{ KeyId: KEY_ARN }]);
    // One client per key region, whatever the Lambda's own region is.
    const client = calls[0]?.thisValue as KMSClient;
    expect(await client.config.region()).toBe("us-east-2");

    h.time.set(minutesAfter(T0, 30));
    expect(await checkSignatureDeadlines(h.deps)).toEqual([]);
    expect(await signatureActions(h, image)).toEqual(["signature-verified"]);
    expect(h.alerts.published).toEqual([]);
  });

  it("a signature by another key does not verify: the deadline sweep quarantines", async () => {
    answerWithPublicKey();
    const h = await setup();
    const image = pushedImage(h, "signed/app");
    await handleEvent(h.deps, pushEvent(image, { time: T0 }));
    await sign(h, image, stranger);
    await handleEvent(h.deps, sigPushEvent(image, "sig-1", minutesAfter(T0, 1)));
    h.time.set(minutesAfter(T0, 11));
    await checkSignatureDeadlines(h.deps);
    expect(await signatureActions(h, image)).toEqual([
      "signature-pending",
      "signature-failed",
      "quarantined",
      "alert-sent",
    ]);
  });

  it("concurrent verifications across repositories share one GetPublicKey", async () => {
    answerWithPublicKey();
    const h = await setup();
    const images = [
      ...Array.from({ length: 4 }, () => pushedImage(h, "signed/app")),
      ...Array.from({ length: 3 }, () => pushedImage(h, "signed-alert/app")),
    ];
    await Promise.all(images.map((image) => handleEvent(h.deps, pushEvent(image, { time: T0 }))));
    for (const image of images) await sign(h, image, kmsKey);
    await Promise.all(
      images.map((image, i) => handleEvent(h.deps, sigPushEvent(image, `sig-${i}`, T0))),
    );
    for (const image of images) {
      expect(await signatureActions(h, image)).toContain("signature-verified");
    }
    expect(kms.commandCalls(GetPublicKeyCommand)).toHaveLength(1);
  });

  it("AccessDenied: a clear error naming the key and the permission, nothing decided, the event thrown (retried)", async () => {
    kms.on(GetPublicKeyCommand).rejects(accessDenied());
    const h = await setup();
    const image = pushedImage(h, "signed/app");
    await handleEvent(h.deps, pushEvent(image, { time: T0 }));
    await sign(h, image, kmsKey);
    await expect(handleEvent(h.deps, sigPushEvent(image, "sig-1", T0))).rejects.toThrowError(
      expect.objectContaining({
        name: "KmsKeyError",
        code: "KMS_REQUEST_FAILED",
        message: expect.stringMatching(
          new RegExp(`KMS key ${KEY_ARN}: .*AccessDeniedException.*allow kms:GetPublicKey`),
        ),
      }),
    );
    // Past the deadline the sweep fails too, and neither quarantines nor alerts.
    h.time.set(minutesAfter(T0, 30));
    await expect(checkSignatureDeadlines(h.deps)).rejects.toThrow(/kms:GetPublicKey/);
    expect(await signatureActions(h, image)).toEqual([]);
    expect(h.alerts.published).toEqual([]);
    expect(h.registry.calls).toEqual([]);

    // The failure is not remembered: once IAM allows the call, the retried event verifies.
    kms.reset();
    answerWithPublicKey();
    await handleEvent(h.deps, sigPushEvent(image, "sig-1", T0));
    expect(await signatureActions(h, image)).toEqual(["signature-verified"]);
  });

  it("a pipeline built without a KMS source fails the event naming the key", async () => {
    const h = await harness(memoryStore, testPolicy(POLICY));
    const image = pushedImage(h, "signed/app");
    await handleEvent(h.deps, pushEvent(image, { time: T0 }));
    await sign(h, image, kmsKey);
    await expect(handleEvent(h.deps, sigPushEvent(image, "sig-1", T0))).rejects.toThrowError(
      expect.objectContaining({
        code: "SIGNATURE_KMS_UNAVAILABLE",
        message: expect.stringContaining(`key release-kms: kmsArn ${KEY_ARN}`),
      }),
    );
    expect(await signatureActions(h, image)).toEqual([]);
    expect(kms.commandCalls(GetPublicKeyCommand)).toHaveLength(0);
  });
});
