// A pushed signature verifies its subject at once, on each registry: on OCI a Notation signature
// referrer (as a Sigstore bundle already did); on ECR a Referrer Action for an untagged bundle or
// Notation referrer, whose event names only the referrer's own digest: the subject is read from
// the referrer's manifest. ECR's push handler only verifies and records (no quarantine, no alert).
// A referrer that is not a signature (an SBOM) triggers nothing new.
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  GetDownloadUrlForLayerCommand,
  type ImageReferrer,
  ListImageReferrersCommand,
} from "@aws-sdk/client-ecr";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { MemoryAuditLog } from "../../shared/adapters/memory/memory-audit-log.ts";
import { MemoryRegistry } from "../../shared/adapters/memory/memory-registry.ts";
import type { ImageRef } from "../../shared/domain/image.ts";
import type { ImagePushed } from "../../shared/domain/registry-event.ts";
import { handleEvent } from "../../shared/pipeline/handle-event.ts";
import type { PipelineDeps } from "../../shared/pipeline/pipeline-deps.ts";
import type { ReferrerInfo } from "../../shared/pipeline/subject-of.ts";
import {
  BlobStore,
  bundleReferrerManifest,
  generateTestKey,
  messageSignatureBundle,
} from "../support/cosign-vectors.ts";
import {
  ACCOUNT,
  commandName,
  detailOf,
  eventFixture,
  HandlerHarness,
} from "../support/lambda-harness.ts";
import {
  jwsEnvelope,
  makeCa,
  makeLeaf,
  notationPayload,
  notationReferrer,
} from "../support/notation-vectors.ts";
import {
  actionsOf,
  completeScan,
  PASSING,
  RecordingAlerts,
  recordsOf,
  T0,
  testClock,
  testImage,
  testPolicy,
} from "../support/pipeline-fixtures.ts";

const IDENTITY = "x509.subject: C=US, ST=WA, L=Seattle, O=Acme Rockets, CN=release signer";
const MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const NOTATION = "application/vnd.cncf.notary.signature";
const BUNDLE = "application/vnd.dev.sigstore.bundle.v0.3+json";
const SBOM = "application/spdx+json";
const HOST = "127.0.0.1:5000";
const DAY = 24 * 3600_000;

const key = generateTestKey("p256");

/** Certificates valid around `now` (the pipeline's clock: fixed in memory, real in a Lambda). */
function notationSigner(now: Date) {
  const at = (ms: number) => new Date(now.getTime() + ms);
  const root = makeCa({ notBefore: at(-365 * DAY), notAfter: at(3650 * DAY) });
  const leaf = makeLeaf(root, { notBefore: at(-30 * DAY), notAfter: at(365 * DAY) });
  return { root, leaf, at };
}
type Signer = ReturnType<typeof notationSigner>;

const pemLines = (pem: string, spaces: number) =>
  pem
    .trim()
    .split("\n")
    .map((l) => `${" ".repeat(spaces)}${l}`)
    .join("\n");

/** signed/** requires signatures (a key, or Notation); a failing gate would quarantine. */
function policyText(signer: Signer): string {
  return `version: 1
defaults:
  gate:
    blockAt: HIGH
    requireScan: true
    scanTimeout: 30m
    onFail: quarantine
  signatures:
    keys:
      - name: release
        pem: |
${pemLines(key.publicPem, 10)}
    notation:
      trustStorePems:
        - |
${pemLines(signer.root.pem, 10)}
      trustedIdentities: ["${IDENTITY}"]
repositories:
  - match: "signed/**"
    signatures:
      required: true
      onFail: quarantine
`;
}

/** A Notation signature referrer of the image, its envelope signed by the trusted leaf. */
function notationSignature(
  signer: Signer,
  subject: { digest: string; manifest: string },
  store: BlobStore,
) {
  const target = { digest: subject.digest, size: Buffer.byteLength(subject.manifest) };
  const envelope = jwsEnvelope(notationPayload(target), [signer.leaf, signer.root], "p256", {
    signingTime: signer.at(-60_000),
  });
  return { envelope, ...notationReferrer(envelope, "application/jose+json", target, store) };
}

/** A Sigstore bundle referrer of the image: a message signature over its manifest bytes. */
function bundleSignature(subject: { digest: string; manifest: string }, store: BlobStore) {
  const bundle = messageSignatureBundle(key, Buffer.from(subject.manifest));
  return bundleReferrerManifest(subject.digest, bundle, store);
}

const createHashHex = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

const signatureActions = (actions: readonly string[]) =>
  actions.filter((a) => a.startsWith("signature-") || a === "quarantined" || a === "alert-sent");

// --- OCI ----------------------------------------------------------------------------------

/** A memory OCI registry that reads pushed manifests' `subject`, as OciRegistry.referrerOf does. */
class SubjectAwareRegistry extends MemoryRegistry {
  readonly subjects = new Map<string, ReferrerInfo>();
  async referrerOf(ref: ImageRef): Promise<ReferrerInfo | null> {
    return this.subjects.get(ref.digest) ?? null;
  }
}

function ociSetup() {
  const time = testClock();
  const registry = new SubjectAwareRegistry("oci");
  const alerts = new RecordingAlerts();
  const audit = new MemoryAuditLog({ clock: time.clock });
  const signer = notationSigner(new Date(T0));
  const deps: PipelineDeps = {
    registry,
    audit,
    alerts,
    policy: testPolicy(policyText(signer)),
    clock: time.clock,
    log: { debug() {}, info() {}, warn() {}, error() {} },
  };
  const t = testImage("signed/app", `oci-${Math.random()}`);
  const image: ImageRef = { registry: "oci", registryId: HOST, ...pick(t.ref), tags: ["1.0"] };
  registry.add(image, completeScan(PASSING), { manifest: t.manifest, pushedAt: T0 });
  return { deps, registry, audit, alerts, signer, image, manifest: t.manifest };
}

function pick(ref: ImageRef) {
  return { repository: ref.repository, digest: ref.digest };
}

function ociPush(image: ImageRef, id: string): ImagePushed {
  return { kind: "image-pushed", eventId: id, time: T0, source: "distribution", image };
}

describe("OCI: a pushed signature referrer verifies its subject at once", () => {
  it("a Notation signature: signature-verified, no quarantine, no alert", async () => {
    const { deps, registry, audit, alerts, signer, image, manifest } = ociSetup();
    await handleEvent(deps, ociPush(image, "push-1"));
    const sig = notationSignature(signer, { digest: image.digest, manifest }, new BlobStore());
    registry.subjects.set(sig.digest, {
      subjectDigest: image.digest,
      artifactType: NOTATION,
      listed: true,
    });
    // What the registry's source reads from the referrer just pushed.
    registry.attachNotation(image, [
      {
        format: "notation",
        mediaType: "application/jose+json",
        envelope: sig.envelope,
        source: { kind: "referrer", manifestDigest: sig.digest },
      },
    ]);

    const outcome = await handleEvent(
      deps,
      ociPush({ ...image, digest: sig.digest, tags: [] }, "sign-1"),
    );

    expect(outcome.steps.map((s) => s.action)).toContain("signature-verified");
    expect(signatureActions(await actionsOf(audit, image))).toEqual(["signature-verified"]);
    const verified = (await recordsOf(audit, image)).find((r) => r.action === "signature-verified");
    expect(verified?.detail?.identity).toMatchObject({ name: IDENTITY });
    expect(registry.calls).toEqual([]);
    expect(alerts.published).toEqual([]);
  });

  it("an SBOM referrer decides the subject's gate as before, and verifies no signature", async () => {
    const { deps, registry, audit, alerts, image } = ociSetup();
    await handleEvent(deps, ociPush(image, "push-1"));
    const sbom = `sha256:${"5b".repeat(32)}`;
    registry.subjects.set(sbom, { subjectDigest: image.digest, artifactType: SBOM, listed: true });

    const outcome = await handleEvent(
      deps,
      ociPush({ ...image, digest: sbom, tags: [] }, "sbom-1"),
    );

    expect(outcome.steps.map((s) => s.action)).toEqual(["referrer-recorded", "gate-evaluated"]);
    expect(signatureActions(await actionsOf(audit, image))).toEqual([]);
    expect(registry.calls).toEqual([]);
    expect(alerts.published).toEqual([]);
  });
});

// --- ECR, through the on-image-push Lambda ------------------------------------------------

const FN = "on-image-push";
const REPOSITORY = "signed/app";
let h: HandlerHarness;
let dir: string;

beforeAll(async () => {
  h = await HandlerHarness.start();
  dir = mkdtempSync(join(tmpdir(), "signature-push-"));
});
afterEach(() => {
  vi.unstubAllGlobals();
});
afterAll(async () => {
  // Every SDK operation the handler sent is one its IAM role grants (no quarantine, no publish).
  const undeclared = h?.undeclaredSdkCalls() ?? [];
  await h?.stop();
  rmSync(dir, { recursive: true, force: true });
  expect(undeclared).toEqual([]);
});

describe("ECR: a Referrer Action for an untagged referrer", () => {
  let signer: Signer;
  let store: BlobStore;
  let subject: { digest: string; manifest: string };

  beforeEach(async () => {
    await h.reset();
    signer = notationSigner(new Date());
    const file = join(dir, `policy-${Math.random()}.yaml`);
    writeFileSync(file, policyText(signer));
    vi.stubEnv("POLICY_FILE", file);
    store = new BlobStore();
    const t = testImage(REPOSITORY, `ecr-${Math.random()}`);
    subject = { digest: t.ref.digest, manifest: t.manifest };
    h.ecr.add({
      region: "us-east-1",
      registryId: ACCOUNT,
      repository: REPOSITORY,
      digest: subject.digest,
      manifest: subject.manifest,
      mediaType: MANIFEST,
      tags: ["1.0"],
      pushedAt: new Date(),
      status: "ACTIVE",
    });
    // ECR lists the subject's referrers and hands out presigned URLs for their blobs.
    h.ecrMock.on(ListImageReferrersCommand).callsFake(() => ({
      referrers: [...h.ecr.images.values()]
        .filter((i) => i.subject === subject.digest)
        .map(
          (i): ImageReferrer => ({
            digest: i.digest,
            mediaType: i.mediaType,
            artifactType: i.artifactMediaType,
            size: Buffer.byteLength(i.manifest),
            artifactStatus: "ACTIVE",
          }),
        ),
    }));
    h.ecrMock.on(GetDownloadUrlForLayerCommand).callsFake((input: { layerDigest: string }) => ({
      downloadUrl: `https://prod-us-east-1-starport-layer-bucket.s3.us-east-1.amazonaws.com/${input.layerDigest.slice(7)}?X-Amz-Signature=x`,
      layerDigest: input.layerDigest,
    }));
    vi.stubGlobal("fetch", async (url: string) => {
      const hex = new URL(url).pathname.slice(1);
      const blob = store.blobs.get(`sha256:${hex}`);
      return blob ? new Response(Buffer.from(blob)) : new Response("NoSuchKey", { status: 404 });
    });
  });

  /** Pushes the referrer into the fake ECR and returns ECR's event about it. */
  function pushReferrer(referrer: { bytes: Buffer; digest: string }, artifactType: string) {
    h.ecr.add({
      region: "us-east-1",
      registryId: ACCOUNT,
      repository: REPOSITORY,
      digest: referrer.digest,
      manifest: referrer.bytes.toString("utf8"),
      mediaType: MANIFEST,
      tags: [],
      pushedAt: new Date(),
      status: "ACTIVE",
      artifactMediaType: artifactType,
      subject: subject.digest,
    });
    const event = eventFixture("ecr-referrer-push-untagged");
    Object.assign(detailOf(event), {
      "image-digest": referrer.digest,
      "repository-name": REPOSITORY,
      "artifact-media-type": artifactType,
    });
    return event;
  }

  it.each([
    ["Notation signature", NOTATION],
    ["Sigstore bundle", BUNDLE],
  ])(
    "a %s verifies its subject at once, and nothing is quarantined or published",
    async (_, type) => {
      const referrer =
        type === NOTATION
          ? notationSignature(signer, subject, store)
          : bundleSignature(subject, store);
      const event = pushReferrer(referrer, type);
      const handler = await h.load(FN);

      const run = await h.invoke(FN, handler, event);

      expect(run.error).toBeUndefined();
      const key = `ecr:${ACCOUNT}/${REPOSITORY}@${subject.digest}`;
      expect(run.result).toMatchObject({ kind: "referrer-pushed", image: key });
      const records = await h.audit().byImage(key);
      expect(records.map((r) => r.action)).toEqual(["referrer-recorded", "signature-verified"]);
      expect(records[0]?.detail).toEqual({
        referrerDigest: referrer.digest,
        subjectDigest: subject.digest,
        artifactType: type,
      });
      expect(records[1]?.detail?.signature).toMatchObject({
        source: { manifestDigest: referrer.digest },
      });
      const calls = h.ecrMock.calls().map(commandName);
      expect(calls).not.toContain("UpdateImageStorageClass");
      expect(calls).not.toContain("DescribeImageScanFindings");
      expect(h.snsMock.calls()).toEqual([]);

      // A redelivery writes nothing more.
      const before = await h.items();
      await h.invoke(FN, handler, event);
      expect(await h.items()).toEqual(before);
    },
  );

  it("an unsigned image is left pending, to the deadline sweep", async () => {
    const stranger = generateTestKey("p256");
    const bundle = messageSignatureBundle(stranger, Buffer.from(subject.manifest));
    const referrer = bundleReferrerManifest(subject.digest, bundle, store);
    const handler = await h.load(FN);

    const run = await h.invoke(FN, handler, pushReferrer(referrer, BUNDLE));

    expect(run.error).toBeUndefined();
    const key = `ecr:${ACCOUNT}/${REPOSITORY}@${subject.digest}`;
    expect((await h.audit().byImage(key)).map((r) => r.action)).toEqual([
      "referrer-recorded",
      "signature-pending",
    ]);
    expect(h.ecrMock.calls().map(commandName)).not.toContain("UpdateImageStorageClass");
    expect(h.snsMock.calls()).toEqual([]);
  });

  it("an SBOM referrer triggers nothing new: recorded on its own chain, nothing read", async () => {
    const sbom = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MANIFEST,
        artifactType: SBOM,
        config: {
          mediaType: "application/vnd.oci.empty.v1+json",
          digest: store.put(Buffer.from("{}")),
          size: 2,
        },
        layers: [{ mediaType: SBOM, digest: store.put(Buffer.from("{}")), size: 2 }],
        subject: { mediaType: MANIFEST, digest: subject.digest, size: 1 },
      }),
    );
    const referrer = { bytes: sbom, digest: `sha256:${createHashHex(sbom)}` };
    const handler = await h.load(FN);

    const run = await h.invoke(FN, handler, pushReferrer(referrer, SBOM));

    expect(run.error).toBeUndefined();
    expect(h.ecrMock.calls()).toEqual([]);
    const own = await h.audit().byImage(`ecr:${ACCOUNT}/${REPOSITORY}@${referrer.digest}`);
    expect(own.map((r) => r.action)).toEqual(["referrer-recorded"]);
    expect(await h.audit().byImage(`ecr:${ACCOUNT}/${REPOSITORY}@${subject.digest}`)).toEqual([]);
  });

  it("a signature-typed referrer whose manifest is no signature's verifies nothing", async () => {
    // The event says Notation; the manifest ECR serves says SBOM: the bytes decide.
    const sbom = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MANIFEST,
        artifactType: SBOM,
        config: {
          mediaType: "application/vnd.oci.empty.v1+json",
          digest: store.put(Buffer.from("{}")),
          size: 2,
        },
        layers: [],
        subject: { mediaType: MANIFEST, digest: subject.digest, size: 1 },
      }),
    );
    const referrer = { bytes: sbom, digest: `sha256:${createHashHex(sbom)}` };
    const handler = await h.load(FN);

    const run = await h.invoke(FN, handler, pushReferrer(referrer, NOTATION));

    expect(run.error).toBeUndefined();
    expect(h.ecrMock.calls().map(commandName)).toEqual(["BatchGetImage"]);
    expect(await h.audit().byImage(`ecr:${ACCOUNT}/${REPOSITORY}@${subject.digest}`)).toEqual([]);
  });
});
