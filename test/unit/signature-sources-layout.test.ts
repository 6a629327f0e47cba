import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadPublicKey } from "../../shared/signatures/public-key.ts";
import { SIGSTORE_BUNDLE_V03_MEDIA_TYPE } from "../../shared/signatures/signature-formats.ts";
import { OciLayoutError } from "../../shared/signatures/sources/oci-layout-error.ts";
import { parseOciLayoutReference } from "../../shared/signatures/sources/oci-layout-reference.ts";
import { OciLayoutSignatureSource } from "../../shared/signatures/sources/oci-layout-signature-source.ts";
import { SignatureBlobError } from "../../shared/signatures/sources/signature-blob-error.ts";
import type { SignedImageSignatures } from "../../shared/signatures/sources/signature-source-reader.ts";
import { verifyImageSignatures } from "../../shared/signatures/verify-image-signatures.ts";
import {
  BlobStore,
  bundleReferrerManifest,
  digestOf,
  dsseBundle,
  generateTestKey,
  imageManifest,
  inTotoStatement,
  legacySignature,
  legacySignatureManifest,
  signatureTag,
  type TestKey,
} from "../support/cosign-vectors.ts";

const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
const REF_NAME = "org.opencontainers.image.ref.name";
const REGISTRY = "registry.example.com";
const REPO = "team/app";
const key = generateTestKey("p384");
const bundleKey = generateTestKey("rsa");

/** Writes an OCI image layout (image-spec image-layout.md): oci-layout, index.json, blobs. */
async function writeLayout(
  dir: string,
  store: BlobStore,
  manifests: object[],
  opts: { layoutFile?: string | null; index?: string } = {},
) {
  await mkdir(join(dir, "blobs", "sha256"), { recursive: true });
  for (const [digest, bytes] of store.blobs) {
    await writeFile(join(dir, "blobs", "sha256", digest.slice(7)), bytes);
  }
  if (opts.layoutFile !== null) {
    await writeFile(join(dir, "oci-layout"), opts.layoutFile ?? '{"imageLayoutVersion":"1.0.0"}');
  }
  await writeFile(
    join(dir, "index.json"),
    opts.index ?? JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests }),
  );
}

const entry = (
  m: { bytes: Buffer; digest: string },
  annotations?: Record<string, string>,
  extra: Record<string, unknown> = {},
) => ({
  mediaType: OCI_MANIFEST,
  digest: m.digest,
  size: m.bytes.length,
  ...extra,
  ...(annotations ? { annotations } : {}),
});

let root: string;
let saved: string;
let store: BlobStore;
const first = imageManifest();
const second = imageManifest();
const ids: Record<string, string> = {};

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "signature-sources-layout-"));
  saved = join(root, "saved");
  store = new BlobStore();
  store.put(first.bytes);
  store.put(second.bytes);
  const reference = `${REGISTRY}/${REPO}`;
  // cosign save: the image marked kind …/image, its `.sig` manifest marked kind …/sigs.
  const sigs = legacySignatureManifest(
    [legacySignature(key, { reference, digest: first.digest })],
    store,
  );
  store.put(sigs.bytes);
  // ORAS's layout store lists a referrer in index.json; an SBOM referrer sits next to it.
  const bundle = bundleReferrerManifest(
    first.digest,
    dsseBundle(bundleKey, { payload: inTotoStatement({ digest: first.digest, name: reference }) }),
    store,
  );
  store.put(bundle.bytes);
  const sbom = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      artifactType: "application/spdx+json",
      config: {
        mediaType: "application/vnd.oci.empty.v1+json",
        digest: digestOf(Buffer.from("{}")),
        size: 2,
      },
      layers: [],
      subject: { mediaType: OCI_MANIFEST, digest: first.digest, size: first.bytes.length },
    }),
  );
  store.put(sbom);
  // The second image: a copied `.sig` tag, and a tag-schema index listing a bundle referrer.
  const secondSig = legacySignatureManifest(
    [legacySignature(key, { reference, digest: second.digest })],
    store,
  );
  store.put(secondSig.bytes);
  const secondBundle = bundleReferrerManifest(
    second.digest,
    dsseBundle(bundleKey, { payload: inTotoStatement({ digest: second.digest, name: reference }) }),
    store,
  );
  store.put(secondBundle.bytes);
  const tagSchema = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: [entry(secondBundle, undefined, { artifactType: SIGSTORE_BUNDLE_V03_MEDIA_TYPE })],
    }),
  );
  store.put(tagSchema);
  Object.assign(ids, {
    sigs: sigs.digest,
    bundle: bundle.digest,
    sbom: digestOf(sbom),
    secondSig: secondSig.digest,
    secondBundle: secondBundle.digest,
  });
  await writeLayout(saved, store, [
    entry(first, { kind: "dev.cosignproject.cosign/image", [REF_NAME]: "v1" }),
    entry(sigs, { kind: "dev.cosignproject.cosign/sigs" }),
    entry(bundle, undefined, { artifactType: SIGSTORE_BUNDLE_V03_MEDIA_TYPE }),
    entry({ bytes: sbom, digest: digestOf(sbom) }, undefined, {
      artifactType: "application/spdx+json",
    }),
    entry(second, { [REF_NAME]: "v2" }),
    entry(secondSig, { [REF_NAME]: signatureTag(second.digest) }),
    {
      ...entry(
        { bytes: tagSchema, digest: digestOf(tagSchema) },
        { [REF_NAME]: second.digest.replace(":", "-") },
      ),
      mediaType: OCI_INDEX,
    },
  ]);
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const read = (text: string, limits?: { maxPayloadBytes?: number }) =>
  new OciLayoutSignatureSource(limits ? { limits } : {}).read(parseOciLayoutReference(text));

function verify(found: SignedImageSignatures, signer: TestKey) {
  return verifyImageSignatures({
    imageDigest: found.imageDigest,
    imageManifest: found.imageManifest,
    repository: REPO,
    registry: REGISTRY,
    candidates: found.candidates,
    keys: [loadPublicKey(signer.publicPem)],
    options: { matchReference: true },
  });
}

/** A copy of the saved layout to damage. */
async function copyLayout(name: string): Promise<string> {
  const dir = join(root, name);
  const index = await readFile(join(saved, "index.json"), "utf8");
  await writeLayout(dir, store, [], { index });
  return dir;
}

describe("OciLayoutSignatureSource", () => {
  it("reads a cosign save layout like `cosign verify --local-image DIR`, and it verifies", async () => {
    const found = await read(`oci-layout:${saved}`);
    expect(found.imageDigest).toBe(first.digest);
    expect(Buffer.from(found.imageManifest).equals(first.bytes)).toBe(true);
    // The `.sig` manifest, then the bundle referrer; the SBOM referrer is not a signature.
    expect(found.candidates.map((c) => [c.source.kind, c.source.manifestDigest, c.format])).toEqual(
      [
        ["legacy-tag", ids.sigs, "simplesigning"],
        ["referrer", ids.bundle, "dsse"],
      ],
    );
    expect(verify(found, key)).toMatchObject({
      verified: true,
      signature: { format: "simplesigning" },
    });
    expect(verify(found, bundleKey)).toMatchObject({
      verified: true,
      signature: { format: "dsse" },
    });
    expect(verify(found, generateTestKey("p256")).verified).toBe(false);
  });

  it("names the same image by tag and by digest", async () => {
    const byTag = await read(`oci-layout:${saved}:v1`);
    const byDigest = await read(`oci-layout:${saved}@${first.digest}`);
    expect(byTag.imageDigest).toBe(first.digest);
    expect(byDigest.candidates.map((c) => c.source.manifestDigest)).toEqual(
      byTag.candidates.map((c) => c.source.manifestDigest),
    );
  });

  it("finds a copied .sig tag and a tag-schema referrer, and not cosign's sigs of another image", async () => {
    const found = await read(`oci-layout:${saved}:v2`);
    expect(found.imageDigest).toBe(second.digest);
    expect(found.candidates.map((c) => [c.source, c.format])).toEqual([
      [
        { kind: "legacy-tag", manifestDigest: ids.secondSig, tag: signatureTag(second.digest) },
        "simplesigning",
      ],
      [
        {
          kind: "referrer",
          manifestDigest: ids.secondBundle,
          artifactType: SIGSTORE_BUNDLE_V03_MEDIA_TYPE,
          subjectDigest: second.digest,
        },
        "dsse",
      ],
    ]);
    expect(verify(found, key).verified).toBe(true);
    expect(verify(found, bundleKey).verified).toBe(true);
  });

  it("throws on a tampered blob instead of passing or skipping it", async () => {
    const dir = await copyLayout("tampered");
    const found = await read(`oci-layout:${saved}`);
    const payload = found.candidates[0]?.layerDigest as string;
    const file = join(dir, "blobs", "sha256", payload.slice(7));
    const bytes = await readFile(file);
    bytes[0] = (bytes[0] as number) ^ 0x20;
    await writeFile(file, bytes);
    const err = await read(`oci-layout:${dir}`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SignatureBlobError);
    expect(err).toMatchObject({ code: "BLOB_DIGEST_MISMATCH", digest: payload });
  });

  it("refuses a blob file larger than the bound even when its descriptor says it is small", async () => {
    const dir = await copyLayout("oversized");
    const found = await read(`oci-layout:${saved}`);
    const payload = found.candidates[0]?.layerDigest as string;
    await writeFile(join(dir, "blobs", "sha256", payload.slice(7)), Buffer.alloc(100 * 1024));
    await expect(read(`oci-layout:${dir}`)).rejects.toMatchObject({ code: "BLOB_TOO_LARGE" });
  });

  it("says which part of the layout is wrong", async () => {
    const noMarker = join(root, "no-marker");
    await writeLayout(noMarker, new BlobStore(), [], { layoutFile: null });
    const badIndex = join(root, "bad-index");
    await writeLayout(badIndex, new BlobStore(), [], { index: '{"schemaVersion":2}' });
    const unmarked = join(root, "unmarked");
    await writeLayout(unmarked, store, [entry(first), entry(second)]);
    const twice = join(root, "twice");
    await writeLayout(twice, store, [
      entry(first, { [REF_NAME]: "v1" }),
      entry(second, { [REF_NAME]: "v1" }),
    ]);

    const cases: [string, string, string][] = [
      [`oci-layout:${join(root, "absent")}`, "OCI_LAYOUT_NOT_FOUND", "no such directory"],
      [`oci-layout:${noMarker}`, "OCI_LAYOUT_INVALID", "no oci-layout file"],
      [`oci-layout:${badIndex}`, "OCI_LAYOUT_INVALID", "manifests"],
      [`oci-layout:${saved}:v9`, "OCI_LAYOUT_IMAGE_NOT_FOUND", "tags there: v1, "],
      [`oci-layout:${saved}@sha256:${"e".repeat(64)}`, "OCI_LAYOUT_IMAGE_NOT_FOUND", "no blob"],
      [
        `oci-layout:${saved}@${digestOf(Buffer.from("{}"))}`,
        "OCI_LAYOUT_IMAGE_NOT_FOUND",
        "not an image manifest",
      ],
      [`oci-layout:${unmarked}`, "OCI_LAYOUT_IMAGE_NOT_FOUND", "lists 2 manifests"],
      [`oci-layout:${twice}:v1`, "OCI_LAYOUT_AMBIGUOUS_TAG", "2 different manifests"],
    ];
    for (const [text, code, says] of cases) {
      const err = await read(text).catch((e: unknown) => e);
      expect(err, text).toBeInstanceOf(OciLayoutError);
      expect(err, text).toMatchObject({ code });
      expect((err as Error).message, text).toContain(says);
    }
  });
});
