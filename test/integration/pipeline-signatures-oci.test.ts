import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MemoryAuditLog } from "../../shared/adapters/memory/memory-audit-log.ts";
import { OciRegistry } from "../../shared/adapters/oci/oci-registry.ts";
import { imageKey } from "../../shared/domain/image.ts";
import { loadPolicy } from "../../shared/domain/policy-load.ts";
import type { ImagePushed, ReferrerPushed } from "../../shared/domain/registry-event.ts";
import { checkSignatureDeadlines } from "../../shared/pipeline/check-signature-deadlines.ts";
import { handleEvent } from "../../shared/pipeline/handle-event.ts";
import type { PipelineDeps } from "../../shared/pipeline/pipeline-deps.ts";
import type { Alert } from "../../shared/ports.ts";
import {
  BlobStore,
  generateTestKey,
  legacySignature,
  legacySignatureManifest,
  signatureTag,
} from "../support/cosign-vectors.ts";
import { type LocalRegistry, startLocalRegistry } from "../support/local-registry.ts";
import {
  OCI_MANIFEST,
  type PushTarget,
  pushBlob,
  pushImage,
  pushManifest,
} from "../support/oci-push.ts";

// The real CNCF distribution registry through the OCI adapter: an image pushed, then its cosign
// signature pushed under the `.sig` tag, each handled as the notification parser reports it.

const key = generateTestKey("p256");
const T0 = "2026-05-01T10:00:00.000Z";
let reg: LocalRegistry;
let t: PushTarget;
let registry: OciRegistry;

const indent = (text: string) =>
  text
    .trim()
    .split("\n")
    .map((l) => `          ${l}`)
    .join("\n");

beforeAll(async () => {
  reg = await startLocalRegistry();
  t = { url: reg.url };
  registry = new OciRegistry({ url: reg.url, http: { maxAttempts: 1 } });
});

afterAll(async () => {
  registry?.close();
  await reg?.stop();
});

function deps(now: () => Date): PipelineDeps & { alerts: { published: Alert[] } } {
  const published: Alert[] = [];
  return {
    registry,
    audit: new MemoryAuditLog({ clock: now }),
    alerts: {
      published,
      publish: async (a: Alert) => {
        published.push(a);
        return {};
      },
    },
    policy: loadPolicy(
      `version: 1
defaults:
  gate:
    requireScan: false
repositories:
  - match: "signed/**"
    signatures:
      required: true
      matchReference: true
      onFail: quarantine
      keys:
      - name: release
        pem: |
${indent(key.publicPem)}
`,
      "test.yaml",
    ),
    clock: now,
    log: { debug() {}, info() {}, warn() {}, error() {} },
  };
}

describe("signatures through the OCI adapter and handleEvent", () => {
  it("a push, then a .sig push: the image is verified, nothing is quarantined", async () => {
    let now = Date.parse(T0);
    const d = deps(() => new Date(now));
    const repo = "signed/app";
    const image = await pushImage(t, repo, { tags: ["v1"] });
    const ref = { registry: "oci" as const, registryId: reg.host, repository: repo };
    const push: ImagePushed = {
      kind: "image-pushed",
      eventId: "push-1",
      time: T0,
      source: "distribution",
      image: { ...ref, digest: image.digest, tags: ["v1"] },
      mediaType: OCI_MANIFEST,
    };
    expect((await handleEvent(d, push)).status).toBe("recorded");

    now += 2 * 60_000;
    const store = new BlobStore();
    const sig = legacySignatureManifest(
      [legacySignature(key, { reference: `${reg.host}/${repo}`, digest: image.digest })],
      store,
    );
    for (const bytes of store.blobs.values()) {
      await pushBlob(t, repo, Buffer.from(bytes), "application/octet-stream");
    }
    await pushManifest(t, repo, signatureTag(image.digest), sig.bytes, OCI_MANIFEST);
    const sigPush: ReferrerPushed = {
      kind: "referrer-pushed",
      eventId: "push-sig",
      time: new Date(now).toISOString(),
      source: "distribution",
      image: { ...ref, digest: sig.digest, tags: [signatureTag(image.digest)] },
      subjectDigest: image.digest,
    };
    const outcome = await handleEvent(d, sigPush);
    expect(outcome.steps.map((s) => s.action)).toContain("signature-verified");

    const records = await d.audit.byImage(imageKey({ ...ref, digest: image.digest }));
    const verified = records.find((r) => r.action === "signature-verified");
    expect(verified?.eventId).toBe("push-sig");
    expect(verified?.detail?.key).toMatchObject({ name: "release", algorithm: "ecdsa" });

    // Past the grace period the sweep has nothing left to decide.
    now += 60 * 60_000;
    expect(await checkSignatureDeadlines(d)).toEqual([]);
    expect(d.alerts.published).toEqual([]);
    expect(
      (await registry.resolveImage({ ...ref, digest: image.digest, tags: [] }))?.quarantined,
    ).toBe(false);
  });

  it("an unsigned image is quarantined by the sweep once its grace period is over", async () => {
    let now = Date.parse(T0);
    const d = deps(() => new Date(now));
    const repo = "signed/unsigned";
    const image = await pushImage(t, repo, { tags: ["v1"] });
    const ref = { registry: "oci" as const, registryId: reg.host, repository: repo };
    await handleEvent(d, {
      kind: "image-pushed",
      eventId: "push-2",
      time: T0,
      source: "distribution",
      image: { ...ref, digest: image.digest, tags: ["v1"] },
    });
    now += 11 * 60_000;
    const [outcome] = await checkSignatureDeadlines(d);
    expect(outcome).toMatchObject({ verdict: "fail" });
    expect(d.alerts.published).toHaveLength(1);
    expect(
      (await registry.resolveImage({ ...ref, digest: image.digest, tags: [] }))?.quarantined,
    ).toBe(true);
  });
});
