import { describe, expect, it } from "vitest";
import { loadPublicKey } from "../../shared/signatures/public-key.ts";
import { readSignatureManifest } from "../../shared/signatures/read-signature-manifest.ts";
import type { SignatureCandidate } from "../../shared/signatures/signature-candidate.ts";
import { SignatureInputError } from "../../shared/signatures/signature-input-error.ts";
import type { TrustedKey } from "../../shared/signatures/trusted-key.ts";
import {
  type VerifyImageSignaturesInput,
  verifyImageSignatures,
} from "../../shared/signatures/verify-image-signatures.ts";
import {
  BlobStore,
  b64,
  digestOf,
  generateTestKey,
  imageManifest,
  KEY_KINDS,
  type LegacyLayer,
  legacySignature,
  legacySignatureManifest,
  signatureTag,
  signBytes,
  type TestKey,
} from "../support/cosign-vectors.ts";

const REGISTRY = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";
const REPO = "team-a/api";
const REFERENCE = `${REGISTRY}/${REPO}`;

const keys = Object.fromEntries(KEY_KINDS.map((k) => [k, generateTestKey(k)])) as Record<
  (typeof KEY_KINDS)[number],
  TestKey
>;
const trusted = (k: TestKey, name?: string): TrustedKey =>
  loadPublicKey(k.publicPem, name ? { name } : {});

/** Pushes the layers as the `.sig` manifest of `digest` and reads them back as candidates. */
async function legacyCandidates(
  digest: string,
  layers: LegacyLayer[],
  store = new BlobStore(),
): Promise<SignatureCandidate[]> {
  const manifest = legacySignatureManifest(layers, store);
  return readSignatureManifest({
    manifest: manifest.bytes,
    source: { kind: "legacy-tag", manifestDigest: manifest.digest, tag: signatureTag(digest) },
    fetchBlob: store.fetchBlob,
  });
}

function verify(
  digest: string,
  candidates: SignatureCandidate[],
  keyList: TrustedKey[],
  options: VerifyImageSignaturesInput["options"] = {},
) {
  return verifyImageSignatures({
    imageDigest: digest,
    repository: REPO,
    registry: REGISTRY,
    candidates,
    keys: keyList,
    options,
  });
}

const failures = (r: ReturnType<typeof verify>) =>
  r.tried.map((t) => (t.verified ? "VERIFIED" : t.failure.code));

describe("legacy .sig signatures, key-based", () => {
  it.each(KEY_KINDS)(
    "verifies a cosign signature made with a %s key and names the key",
    async (kind) => {
      const image = imageManifest();
      const key = trusted(keys[kind], `release-${kind}`);
      const candidates = await legacyCandidates(image.digest, [
        legacySignature(keys[kind], { reference: REFERENCE, digest: image.digest }),
      ]);
      const r = verify(image.digest, candidates, [key], { matchReference: true });
      expect(r.verified).toBe(true);
      if (!r.verified) return;
      expect(r.key).toMatchObject({ id: key.id, name: `release-${kind}` });
      expect(r.signature).toMatchObject({ format: "simplesigning", layerIndex: 0 });
    },
  );

  it("refuses a signature by a key that is not trusted", async () => {
    const image = imageManifest();
    const candidates = await legacyCandidates(image.digest, [
      legacySignature(generateTestKey("p256"), { reference: REFERENCE, digest: image.digest }),
    ]);
    const r = verify(image.digest, candidates, [trusted(keys.p256)]);
    expect(r).toMatchObject({ verified: false, reason: "no-valid-signature" });
    expect(failures(r)).toEqual(["SIGNATURE_INVALID"]);
  });

  it("refuses a valid signature whose payload names another image's digest", async () => {
    const image = imageManifest();
    const other = imageManifest();
    const candidates = await legacyCandidates(image.digest, [
      legacySignature(keys.p256, { reference: REFERENCE, digest: other.digest }),
    ]);
    const r = verify(image.digest, candidates, [trusted(keys.p256)]);
    expect(failures(r)).toEqual(["DIGEST_MISMATCH"]);
  });

  it("refuses a payload whose critical.type is not a cosign container image signature", async () => {
    const image = imageManifest();
    const candidates = await legacyCandidates(image.digest, [
      legacySignature(keys.p256, {
        reference: REFERENCE,
        digest: image.digest,
        type: "atomic container signature",
      }),
    ]);
    expect(failures(verify(image.digest, candidates, [trusted(keys.p256)]))).toEqual([
      "CRITICAL_TYPE_MISMATCH",
    ]);
  });

  it("refuses another repository's signature only when the policy asks for matchReference", async () => {
    const image = imageManifest();
    const candidates = await legacyCandidates(image.digest, [
      legacySignature(keys.p256, { reference: `${REGISTRY}/team-b/api`, digest: image.digest }),
    ]);
    const key = trusted(keys.p256);
    expect(verify(image.digest, candidates, [key]).verified).toBe(true);
    expect(failures(verify(image.digest, candidates, [key], { matchReference: true }))).toEqual([
      "REFERENCE_MISMATCH",
    ]);
  });

  it("matches a reference carrying a tag or digest, and refuses another registry", async () => {
    const image = imageManifest();
    const key = trusted(keys.p256);
    for (const [reference, ok] of [
      [`${REFERENCE}:v1.2`, true],
      [`${REFERENCE}@${image.digest}`, true],
      [`registry.example.com/${REPO}`, false],
    ] as const) {
      const candidates = await legacyCandidates(image.digest, [
        legacySignature(keys.p256, { reference, digest: image.digest }),
      ]);
      expect(verify(image.digest, candidates, [key], { matchReference: true }).verified).toBe(ok);
    }
  });

  it("does not fetch, and refuses, a layer that is not a signature", async () => {
    const image = imageManifest();
    const store = new BlobStore();
    const sbom = Buffer.from('{"spdxVersion":"SPDX-2.3"}');
    const candidates = await legacyCandidates(
      image.digest,
      [{ payload: sbom, signature: b64(signBytes(keys.p256, sbom)), mediaType: "text/spdx+json" }],
      store,
    );
    expect(store.fetched).not.toContain(candidates[0]?.layerDigest);
    expect(failures(verify(image.digest, candidates, [trusted(keys.p256)]))).toEqual([
      "MEDIA_TYPE_NOT_SIGNATURE",
    ]);
  });

  it("refuses a layer without the signature annotation, or with one that is not base64", async () => {
    const image = imageManifest();
    const good = legacySignature(keys.p256, { reference: REFERENCE, digest: image.digest });
    const candidates = await legacyCandidates(image.digest, [
      { ...good, signature: null },
      { ...good, signature: `${good.signature}!` },
    ]);
    expect(failures(verify(image.digest, candidates, [trusted(keys.p256)]))).toEqual([
      "SIGNATURE_MISSING",
      "SIGNATURE_MISSING",
    ]);
  });

  it("refuses an oversized payload, whether its descriptor admits it or lies", async () => {
    const image = imageManifest();
    const store = new BlobStore();
    const big = legacySignature(keys.p256, {
      reference: REFERENCE,
      digest: image.digest,
      optional: { padding: "x".repeat(70 * 1024) },
    });
    const candidates = await legacyCandidates(image.digest, [big, { ...big, size: 300 }], store);
    expect(store.fetched.filter((d) => d === candidates[0]?.layerDigest)).toHaveLength(1);
    expect(failures(verify(image.digest, candidates, [trusted(keys.p256)]))).toEqual([
      "PAYLOAD_TOO_LARGE",
      "PAYLOAD_TOO_LARGE",
    ]);
  });

  it("refuses a signature manifest with too many layers as a whole", async () => {
    const image = imageManifest();
    const one = legacySignature(keys.p256, { reference: REFERENCE, digest: image.digest });
    const store = new BlobStore();
    const candidates = await legacyCandidates(image.digest, Array(51).fill(one), store);
    expect(candidates).toHaveLength(1);
    expect(store.fetched).toHaveLength(0);
    expect(failures(verify(image.digest, candidates, [trusted(keys.p256)]))).toEqual([
      "TOO_MANY_LAYERS",
    ]);
    expect(await legacyCandidates(image.digest, Array(50).fill(one))).toHaveLength(50);
  });

  it("passes with one valid signature among invalid ones, and names the valid one", async () => {
    const image = imageManifest();
    const other = imageManifest();
    const candidates = await legacyCandidates(image.digest, [
      legacySignature(generateTestKey("p256"), { reference: REFERENCE, digest: image.digest }),
      legacySignature(keys.p256, { reference: REFERENCE, digest: other.digest }),
      legacySignature(keys.ed25519, { reference: REFERENCE, digest: image.digest }),
      legacySignature(keys.p256, { reference: REFERENCE, digest: image.digest }),
    ]);
    const r = verify(image.digest, candidates, [
      trusted(keys.p256, "ci"),
      trusted(keys.ed25519, "release"),
    ]);
    expect(r.verified).toBe(true);
    if (!r.verified) return;
    expect(r.key.name).toBe("release");
    expect(r.signature.layerIndex).toBe(2);
    expect(failures(r)).toEqual(["SIGNATURE_INVALID", "DIGEST_MISMATCH", "VERIFIED"]);
  });

  it("refuses a blob the registry served with the wrong bytes", async () => {
    const image = imageManifest();
    const store = new BlobStore();
    const sig = legacySignature(keys.p256, { reference: REFERENCE, digest: image.digest });
    const manifest = legacySignatureManifest([sig], store);
    const candidates = await readSignatureManifest({
      manifest: manifest.bytes,
      source: { kind: "legacy-tag", manifestDigest: manifest.digest },
      fetchBlob: async () => Buffer.from("something else"),
    });
    expect(failures(verify(image.digest, candidates, [trusted(keys.p256)]))).toEqual([
      "BLOB_DIGEST_MISMATCH",
    ]);
  });

  it("refuses a signature manifest that is not the one named, too large, or not a manifest", async () => {
    const store = new BlobStore();
    const read = (bytes: Buffer, manifestDigest: string) =>
      readSignatureManifest({
        manifest: bytes,
        source: { kind: "legacy-tag", manifestDigest },
        fetchBlob: store.fetchBlob,
      });
    const image = imageManifest();
    const m = legacySignatureManifest(
      [legacySignature(keys.p256, { reference: REFERENCE, digest: image.digest })],
      store,
    );
    const code = (c: SignatureCandidate[]) =>
      c[0]?.format === "rejected" ? c[0].failure.code : c[0]?.format;
    expect(code(await read(m.bytes, image.digest))).toBe("BLOB_DIGEST_MISMATCH");
    const huge = Buffer.alloc(257 * 1024, 0x20);
    expect(code(await read(huge, image.digest))).toBe("MANIFEST_TOO_LARGE");
    const notJson = Buffer.from("{");
    expect(code(await read(notJson, digestOf(notJson)))).toBe("MANIFEST_MALFORMED");
  });

  it("reports no-signatures when nothing was found", () => {
    const image = imageManifest();
    expect(verify(image.digest, [], [trusted(keys.p256)])).toMatchObject({
      verified: false,
      reason: "no-signatures",
      tried: [],
    });
  });

  it("tries at most maxCandidates signatures and lists the rest as not tried", async () => {
    const image = imageManifest();
    const bad = legacySignature(generateTestKey("p256"), {
      reference: REFERENCE,
      digest: image.digest,
    });
    const good = legacySignature(keys.p256, { reference: REFERENCE, digest: image.digest });
    const candidates = [
      ...(await legacyCandidates(image.digest, Array(3).fill(bad))),
      ...(await legacyCandidates(image.digest, [good])),
    ];
    const r = verify(image.digest, candidates, [trusted(keys.p256)], {
      limits: { maxCandidates: 3 },
    });
    expect(r.verified).toBe(false);
    expect(failures(r)).toEqual([
      "SIGNATURE_INVALID",
      "SIGNATURE_INVALID",
      "SIGNATURE_INVALID",
      "TOO_MANY_SIGNATURES",
    ]);
  });

  it("reads the claims as cosign's Go decoder does (case-insensitive keys, as in the spec's example)", async () => {
    const image = imageManifest();
    const payload = Buffer.from(
      JSON.stringify({
        critical: {
          identity: { "docker-reference": REFERENCE },
          image: { "Docker-manifest-digest": image.digest },
          type: "cosign container image signature",
        },
        optional: { creator: "atomic", timestamp: 1458239713 },
      }),
    );
    const candidates = await legacyCandidates(image.digest, [
      { payload, signature: b64(signBytes(keys.p256, payload)) },
    ]);
    expect(verify(image.digest, candidates, [trusted(keys.p256)]).verified).toBe(true);
  });

  it("keeps keyless annotations on the candidate for the keyless verifier", async () => {
    const image = imageManifest();
    const sig = legacySignature(keys.p256, { reference: REFERENCE, digest: image.digest });
    const [c] = await legacyCandidates(image.digest, [
      {
        ...sig,
        annotations: {
          "dev.sigstore.cosign/certificate": "-----BEGIN CERTIFICATE-----\n…",
          "dev.sigstore.cosign/bundle": '{"SignedEntryTimestamp":"…"}',
        },
      },
    ]);
    expect(c?.format === "simplesigning" && c.keyless).toEqual({
      certificatePem: "-----BEGIN CERTIFICATE-----\n…",
      rekorBundle: '{"SignedEntryTimestamp":"…"}',
    });
  });

  it("treats no keys, a malformed digest or inconsistent manifest bytes as bad input", () => {
    const image = imageManifest();
    const base = { repository: REPO, candidates: [], keys: [trusted(keys.p256)] };
    expect(() => verifyImageSignatures({ ...base, imageDigest: "sha256:abc" })).toThrow(
      SignatureInputError,
    );
    expect(() => verifyImageSignatures({ ...base, keys: [], imageDigest: image.digest })).toThrow(
      /no trusted keys/,
    );
    expect(() =>
      verifyImageSignatures({
        ...base,
        imageDigest: image.digest,
        imageManifest: imageManifest().bytes,
      }),
    ).toThrow(/hash to/);
  });
});
