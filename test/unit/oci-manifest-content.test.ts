import { describe, expect, it } from "vitest";
import type { OciRegistryError } from "../../shared/adapters/oci/oci-errors.ts";
import {
  blobsOf,
  DOCKER_MANIFEST,
  manifestMediaType,
  OCI_INDEX,
  OCI_MANIFEST,
  parseManifestContent,
} from "../../shared/adapters/oci/oci-manifest-content.ts";

const where = { registry: "r.example", repository: "app", operation: "Test" };
const d = (c: string, mediaType = "application/vnd.oci.image.layer.v1.tar+gzip") => ({
  mediaType,
  digest: `sha256:${c.repeat(64)}`,
  size: 10,
});
const bytes = (o: unknown) => Buffer.from(JSON.stringify(o));

describe("manifestMediaType", () => {
  it("prefers the manifest's own field, then Content-Type, then its shape", () => {
    expect(manifestMediaType(bytes({ mediaType: DOCKER_MANIFEST }), OCI_MANIFEST)).toBe(
      DOCKER_MANIFEST,
    );
    expect(manifestMediaType(bytes({ schemaVersion: 2 }), `${OCI_INDEX}; charset=utf-8`)).toBe(
      OCI_INDEX,
    );
    expect(manifestMediaType(bytes({ manifests: [] }), "application/json")).toBe(OCI_INDEX);
    expect(manifestMediaType(bytes({ config: {} }), undefined)).toBe(OCI_MANIFEST);
  });
});

describe("parseManifestContent", () => {
  it("reads an image's blobs, leaving out foreign layers and duplicates", () => {
    const m = {
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: d("c", "application/vnd.oci.image.config.v1+json"),
      layers: [d("1"), d("1"), d("2", "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip")],
    };
    const content = parseManifestContent(bytes(m), OCI_MANIFEST, where);
    if (content.kind !== "image") throw new Error("expected an image");
    expect(blobsOf(content).map((b) => b.digest)).toEqual([d("c").digest, d("1").digest]);
  });

  it("reads an index's children", () => {
    const m = { schemaVersion: 2, manifests: [d("a", OCI_MANIFEST), d("b", OCI_MANIFEST)] };
    const content = parseManifestContent(bytes(m), OCI_INDEX, where);
    expect(content.kind).toBe("index");
    expect(content.kind === "index" && content.manifests).toHaveLength(2);
  });

  it("refuses schema 1, unknown types and malformed manifests with specific codes", () => {
    const attempt = (b: Buffer, type: string) => {
      try {
        parseManifestContent(b, type, where);
      } catch (e) {
        return e as OciRegistryError;
      }
      throw new Error("expected a failure");
    };
    expect(
      attempt(bytes({}), "application/vnd.docker.distribution.manifest.v1+prettyjws").code,
    ).toBe("OCI_UNSUPPORTED_MANIFEST");
    expect(attempt(bytes({}), "application/vnd.cncf.helm.config.v1+json").code).toBe(
      "OCI_UNSUPPORTED_MANIFEST",
    );
    const bad = attempt(
      bytes({ schemaVersion: 2, config: { digest: "nope" }, layers: [] }),
      OCI_MANIFEST,
    );
    expect(bad.code).toBe("OCI_INVALID_RESPONSE");
    expect(bad.message).toContain("config");
    expect(attempt(Buffer.from("{"), OCI_MANIFEST).message).toContain("not JSON");
  });
});
