import { readFile, writeFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OciClient } from "../../shared/adapters/oci/oci-client.ts";
import { OciRegistryError } from "../../shared/adapters/oci/oci-errors.ts";
import { loadPublicKey } from "../../shared/signatures/public-key.ts";
import {
  COSIGN_SIGNATURE_ARTIFACT_TYPE,
  SIGSTORE_BUNDLE_V03_MEDIA_TYPE,
  SIMPLESIGNING_MEDIA_TYPE,
} from "../../shared/signatures/signature-formats.ts";
import { OciSignatureSource } from "../../shared/signatures/sources/oci-signature-source.ts";
import { SignatureBlobError } from "../../shared/signatures/sources/signature-blob-error.ts";
import type { SignedImageSignatures } from "../../shared/signatures/sources/signature-source-reader.ts";
import { verifyImageSignatures } from "../../shared/signatures/verify-image-signatures.ts";
import {
  BlobStore,
  digestOf,
  dsseBundle,
  generateTestKey,
  inTotoStatement,
  legacySignature,
  legacySignatureManifest,
  messageSignatureBundle,
  signatureTag,
  type TestKey,
} from "../support/cosign-vectors.ts";
import { type LocalRegistry, startLocalRegistry } from "../support/local-registry.ts";
import {
  attachArtifact,
  OCI_MANIFEST,
  type PushedImage,
  type PushTarget,
  pushBlob,
  pushImage,
  pushManifest,
} from "../support/oci-push.ts";

// distribution 2.8 has no referrers API: referrers are found through the `sha256-<hex>` tag schema.
let reg: LocalRegistry;
let t: PushTarget;
let client: OciClient;
const key = generateTestKey("p256");
const otherKey = generateTestKey("ed25519");

beforeAll(async () => {
  reg = await startLocalRegistry();
  t = { url: reg.url };
  client = new OciClient({ url: reg.url, http: { maxAttempts: 1 } });
});

afterAll(async () => {
  client.close();
  await reg.stop();
});

/** `cosign sign --key`: the simple-signing payload under the `.sig` tag. Returns its manifest digest. */
async function pushLegacySignature(repo: string, image: PushedImage, signer: TestKey) {
  const store = new BlobStore();
  const layer = legacySignature(signer, {
    reference: `${reg.host}/${repo}`,
    digest: image.digest,
  });
  const manifest = legacySignatureManifest([layer], store);
  for (const bytes of store.blobs.values()) {
    await pushBlob(t, repo, Buffer.from(bytes), "application/octet-stream");
  }
  await pushManifest(t, repo, signatureTag(image.digest), manifest.bytes, OCI_MANIFEST);
  return { manifestDigest: manifest.digest, payloadDigest: digestOf(layer.payload) };
}

/** `cosign sign --new-bundle-format`: a bundle referrer, listed in the tag-schema index. */
function attachBundle(repo: string, image: PushedImage, bundle: Buffer) {
  return attachArtifact(t, repo, image, {
    artifactType: SIGSTORE_BUNDLE_V03_MEDIA_TYPE,
    layers: [{ mediaType: SIGSTORE_BUNDLE_V03_MEDIA_TYPE, bytes: bundle }],
    annotations: { "dev.sigstore.bundle.content": "dsse-envelope" },
  });
}

function verify(
  repo: string,
  found: SignedImageSignatures,
  signer: TestKey,
  matchReference = true,
) {
  return verifyImageSignatures({
    imageDigest: found.imageDigest,
    imageManifest: found.imageManifest,
    repository: repo,
    registry: reg.host,
    candidates: found.candidates,
    keys: [loadPublicKey(signer.publicPem, { name: signer.kind })],
    options: { matchReference },
  });
}

describe("OciSignatureSource on a real registry", () => {
  it("finds the .sig tag's signature and it verifies end to end with the signer's key only", async () => {
    const repo = "signed/legacy";
    const image = await pushImage(t, repo, { tags: ["v1"] });
    const pushed = await pushLegacySignature(repo, image, key);

    const found = await new OciSignatureSource(client).read({
      registry: "oci",
      registryId: reg.host,
      repository: repo,
      digest: image.digest,
    });

    expect(found.imageDigest).toBe(image.digest);
    expect(Buffer.from(found.imageManifest).equals(image.manifest)).toBe(true);
    expect(found.candidates).toHaveLength(1);
    expect(found.candidates[0]).toMatchObject({
      format: "simplesigning",
      layerDigest: pushed.payloadDigest,
      source: {
        kind: "legacy-tag",
        manifestDigest: pushed.manifestDigest,
        tag: signatureTag(image.digest),
      },
    });
    const result = verify(repo, found, key);
    expect(result).toMatchObject({ verified: true, key: { name: "p256" } });
    expect(verify(repo, found, otherKey).verified).toBe(false);
  });

  it("finds bundle referrers through the tag schema and ignores other attachments", async () => {
    const repo = "signed/referrers";
    const image = await pushImage(t, repo);
    const sbom = await attachArtifact(t, repo, image, {
      artifactType: "application/spdx+json",
      layers: [
        { mediaType: "application/spdx+json", bytes: Buffer.from('{"spdxVersion":"SPDX-2.3"}') },
      ],
    });
    const dsse = await attachBundle(
      repo,
      image,
      dsseBundle(otherKey, {
        payload: inTotoStatement({ digest: image.digest, name: `${reg.host}/${repo}` }),
      }),
    );
    const message = await attachBundle(repo, image, messageSignatureBundle(key, image.manifest));

    const found = await new OciSignatureSource(client).read({
      repository: repo,
      digest: image.digest,
    });

    const sources = found.candidates.map((c) => c.source.manifestDigest);
    expect(sources).toEqual([dsse, message]);
    expect(sources).not.toContain(sbom);
    expect(found.candidates.map((c) => c.format)).toEqual(["dsse", "message-signature"]);
    expect(found.candidates[0]?.source).toMatchObject({
      kind: "referrer",
      artifactType: SIGSTORE_BUNDLE_V03_MEDIA_TYPE,
      subjectDigest: image.digest,
    });
    // The DSSE bundle verifies with its key; the message signature needs the manifest bytes and,
    // naming no repository, passes only when the policy does not ask for one.
    expect(verify(repo, found, otherKey)).toMatchObject({
      verified: true,
      key: { name: "ed25519" },
    });
    expect(verify(repo, found, key).verified).toBe(false);
    expect(verify(repo, found, key, false)).toMatchObject({
      verified: true,
      key: { name: "p256" },
    });
  });

  it("reads cosign's OCI 1.1 simple-signing referrer", async () => {
    const repo = "signed/oci11";
    const image = await pushImage(t, repo);
    const layer = legacySignature(key, { reference: `${reg.host}/${repo}`, digest: image.digest });
    await attachArtifact(t, repo, image, {
      artifactType: COSIGN_SIGNATURE_ARTIFACT_TYPE,
      layers: [
        {
          mediaType: SIMPLESIGNING_MEDIA_TYPE,
          bytes: Buffer.from(layer.payload),
          annotations: { "dev.cosignproject.cosign/signature": layer.signature ?? "" },
        },
      ],
    });
    const found = await new OciSignatureSource(client).read({
      repository: repo,
      digest: image.digest,
    });
    expect(found.candidates.map((c) => [c.source.kind, c.format])).toEqual([
      ["referrer", "simplesigning"],
    ]);
    expect(verify(repo, found, key).verified).toBe(true);
  });

  it("gives an unsigned image no candidates, and the verifier says no-signatures", async () => {
    const repo = "unsigned/app";
    const image = await pushImage(t, repo);
    const found = await new OciSignatureSource(client).read({
      repository: repo,
      digest: image.digest,
    });
    expect(found.candidates).toEqual([]);
    expect(verify(repo, found, key)).toMatchObject({ verified: false, reason: "no-signatures" });
  });

  it("throws on a tampered signature blob instead of passing or skipping it", async () => {
    const repo = "signed/tampered";
    const image = await pushImage(t, repo);
    const pushed = await pushLegacySignature(repo, image, key);
    const path = reg.blobDataPath(pushed.payloadDigest);
    const bytes = await readFile(path);
    bytes[bytes.length - 2] = (bytes[bytes.length - 2] as number) ^ 0x01; // same length, other content
    await writeFile(path, bytes);

    const err = await new OciSignatureSource(client)
      .read({ repository: repo, digest: image.digest })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SignatureBlobError);
    expect(err).toMatchObject({ code: "BLOB_DIGEST_MISMATCH", digest: pushed.payloadDigest });
  });

  it("refuses a signature payload whose declared size is over the bound", async () => {
    const repo = "signed/bounded";
    const image = await pushImage(t, repo);
    await pushLegacySignature(repo, image, key);
    const source = new OciSignatureSource(client, { limits: { maxPayloadBytes: 64 } });
    const found = await source.read({ repository: repo, digest: image.digest });
    // The declared size is over the bound: refused by the reader before any fetch.
    expect(found.candidates[0]).toMatchObject({
      format: "rejected",
      failure: { code: "PAYLOAD_TOO_LARGE" },
    });
  });

  it("reads no more signature manifests than candidates are tried", async () => {
    const repo = "signed/flood";
    const image = await pushImage(t, repo);
    await pushLegacySignature(repo, image, key);
    const skipped = await attachBundle(repo, image, messageSignatureBundle(key, image.manifest));
    const found = await new OciSignatureSource(client, { limits: { maxCandidates: 1 } }).read({
      repository: repo,
      digest: image.digest,
    });
    expect(found.candidates.map((c) => c.format)).toEqual(["simplesigning", "rejected"]);
    expect(found.candidates[1]).toMatchObject({
      source: { kind: "referrer", manifestDigest: skipped },
      failure: { code: "TOO_MANY_SIGNATURES" },
    });
  });

  it("throws OCI_IMAGE_NOT_FOUND for an image the registry does not have", async () => {
    const err = await new OciSignatureSource(client)
      .read({ repository: "signed/legacy", digest: `sha256:${"0".repeat(64)}` })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OciRegistryError);
    expect(err).toMatchObject({ code: "OCI_IMAGE_NOT_FOUND" });
  });

  it("refuses an image of another registry", async () => {
    await expect(
      new OciSignatureSource(client).read({
        registryId: "registry.example.com",
        repository: "signed/legacy",
        digest: `sha256:${"0".repeat(64)}`,
      }),
    ).rejects.toMatchObject({ code: "OCI_WRONG_REGISTRY" });
  });
});
