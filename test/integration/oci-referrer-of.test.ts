// The OCI adapter's referrer lookup (used by the local runtime, the Lambda receiver and the CLI), against the real distribution 2.8.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OciRegistry } from "../../shared/adapters/oci/oci-registry.ts";
import { TRIVY_REPORT_MEDIA_TYPE } from "../../shared/adapters/oci/oci-scan-report.ts";
import type { ImageRef } from "../../shared/domain/image.ts";
import { type LocalRegistry, startLocalRegistry } from "../support/local-registry.ts";
import { attachArtifact, type PushedImage, pushImage } from "../support/oci-push.ts";

let reg: LocalRegistry;
let registry: OciRegistry;
let img: PushedImage;
let report: string;

beforeAll(async () => {
  reg = await startLocalRegistry();
  registry = new OciRegistry({ url: reg.url });
  img = await pushImage(reg, "prod/app", { tags: ["1.0"] });
  report = await attachArtifact(reg, "prod/app", img, {
    artifactType: TRIVY_REPORT_MEDIA_TYPE,
    layers: [{ mediaType: TRIVY_REPORT_MEDIA_TYPE, bytes: Buffer.from("{}") }],
  });
});
afterAll(async () => {
  registry?.close();
  await reg?.stop();
});

const ref = (digest: string, tags: string[] = []): ImageRef => ({
  registry: "oci",
  registryId: reg.host,
  repository: "prod/app",
  digest,
  tags,
});

describe("OciRegistry.referrerOf", () => {
  it("reads the subject of a manifest pushed by digest; without a referrers API it is not the deciding push", async () => {
    expect(await registry.referrerOf(ref(report))).toEqual({
      subjectDigest: img.digest,
      listed: false,
      artifactType: TRIVY_REPORT_MEDIA_TYPE,
    });
  });

  it("says nothing about a plain image", async () => {
    expect(await registry.referrerOf(ref(img.digest, ["1.0"]))).toBeNull();
  });

  it("confirms a referrers-index tag once it reads back, and waits a bounded time for one that does not", async () => {
    const tag = img.digest.replace(":", "-");
    expect(await registry.referrerOf(ref(`sha256:${"e".repeat(64)}`, [tag]))).toEqual({
      subjectDigest: img.digest,
      listed: true,
    });
    const other = `sha256-${"d".repeat(64)}`;
    const t0 = Date.now();
    expect(await registry.referrerOf(ref(`sha256:${"e".repeat(64)}`, [other]))).toEqual({
      subjectDigest: `sha256:${"d".repeat(64)}`,
      listed: false,
    });
    expect(Date.now() - t0).toBeLessThan(3000);
  });

  it("ignores another registry's images and quarantine repositories", async () => {
    expect(await registry.referrerOf({ ...ref(report), registryId: "elsewhere:5000" })).toBeNull();
    expect(
      await registry.referrerOf({ ...ref(report), repository: "quarantine/prod/app" }),
    ).toBeNull();
  });
});
