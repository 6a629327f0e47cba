// Notation signature referrers as the ECR source finds them (artifactType
// application/vnd.cncf.notary.signature, one JWS or COSE layer), read into candidates and verified
// by verifyTrusted next to cosign trust.
import {
  BatchGetImageCommand,
  type BatchGetImageCommandInput,
  ECRClient,
  GetDownloadUrlForLayerCommand,
  type ImageReferrer,
  ListImageReferrersCommand,
} from "@aws-sdk/client-ecr";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { loadNotationTrust } from "../../shared/signatures/notation/notation-trust.ts";
import { readNotationManifest } from "../../shared/signatures/notation/read-notation-manifest.ts";
import { loadPublicKey } from "../../shared/signatures/public-key.ts";
import { EcrSignatureSource } from "../../shared/signatures/sources/ecr-signature-source.ts";
import { verifyTrusted } from "../../shared/signatures/verify-trusted.ts";
import { generateTestKey } from "../support/cosign-vectors.ts";
import {
  BlobStore,
  coseEnvelope,
  imageManifest,
  jwsEnvelope,
  makeCa,
  makeLeaf,
  NOW,
  notationPayload,
  notationReferrer,
} from "../support/notation-vectors.ts";

const REGISTRY_ID = "123456789012";
const REPO = "team-a/api";
const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const NOTARY = "application/vnd.cncf.notary.signature";
const ecr = mockClient(ECRClient);

const root = makeCa();
const leaf = makeLeaf(root, { key: "p384" });
const image = imageManifest();
const payload = notationPayload({ digest: image.digest, size: image.bytes.length });
const trust = loadNotationTrust({
  trustStorePems: [{ name: "root.pem", pem: root.pem }],
  trustedIdentities: ["x509.subject: C=US, ST=WA, O=Acme Rockets"],
});

function serve(manifests: Map<string, Buffer>, referrers: ImageReferrer[], store: BlobStore) {
  ecr.on(BatchGetImageCommand).callsFake((input: BatchGetImageCommandInput) => {
    const images = [];
    const failures = [];
    for (const id of input.imageIds ?? []) {
      const m = id.imageDigest ? manifests.get(id.imageDigest) : undefined;
      if (m) {
        images.push({
          registryId: REGISTRY_ID,
          repositoryName: REPO,
          imageId: id,
          imageManifest: m.toString("utf8"),
          imageManifestMediaType: OCI_MANIFEST,
        });
      } else {
        failures.push({
          imageId: id,
          failureCode: "ImageNotFound" as const,
          failureReason: "not found",
        });
      }
    }
    return { images, failures };
  });
  ecr.on(ListImageReferrersCommand).resolves({ referrers });
  ecr.on(GetDownloadUrlForLayerCommand).callsFake((input: { layerDigest: string }) => ({
    downloadUrl: `https://layers.example/${input.layerDigest.slice(7)}`,
    layerDigest: input.layerDigest,
  }));
  return new EcrSignatureSource(new ECRClient({ region: "eu-west-1" }), {
    download: async (url) => {
      const blob = store.blobs.get(`sha256:${new URL(url).pathname.slice(1)}`);
      return blob ? new Response(Buffer.from(blob)) : new Response("NoSuchKey", { status: 404 });
    },
  });
}

const ref = { registry: "ecr", registryId: REGISTRY_ID, repository: REPO, digest: image.digest };
const subject = { digest: image.digest, size: image.bytes.length };

beforeEach(() => ecr.reset());

describe("EcrSignatureSource with Notation referrers", () => {
  it("returns JWS and COSE envelopes as notationCandidates, cosign candidates untouched, and they verify", async () => {
    const store = new BlobStore();
    const jws = notationReferrer(
      jwsEnvelope(payload, [leaf, root], "p384"),
      "application/jose+json",
      subject,
      store,
    );
    const cose = notationReferrer(
      coseEnvelope(payload, [leaf, root], "p384"),
      "application/cose",
      subject,
      store,
    );
    const manifests = new Map([
      [image.digest, image.bytes],
      [jws.digest, jws.bytes],
      [cose.digest, cose.bytes],
    ]);
    const referrers = [jws, cose].map((m) => ({
      digest: m.digest,
      mediaType: OCI_MANIFEST,
      artifactType: NOTARY,
      size: m.bytes.length,
      artifactStatus: "ACTIVE" as const,
    }));
    const found = await serve(manifests, referrers, store).read(ref);

    expect(found.candidates).toEqual([]);
    expect(
      found.notationCandidates?.map((c) => [c.source.manifestDigest, c.format, c.mediaType]),
    ).toEqual([
      [jws.digest, "notation", "application/jose+json"],
      [cose.digest, "notation", "application/cose"],
    ]);
    const result = verifyTrusted({
      imageDigest: found.imageDigest,
      repository: REPO,
      candidates: found.candidates,
      notationCandidates: found.notationCandidates ?? [],
      notation: trust,
      now: NOW,
    });
    expect(result.verified).toBe(true);
    if (result.verified && "identity" in result)
      expect(result.identity.subject).toContain("O=Acme Rockets");
  });

  it("no Notation referrer: the result has no notationCandidates field (existing shape kept)", async () => {
    const found = await serve(new Map([[image.digest, image.bytes]]), [], new BlobStore()).read(
      ref,
    );
    expect(found).not.toHaveProperty("notationCandidates");
  });
});

describe("readNotationManifest", () => {
  it("refuses a layer that is not a Notation envelope, and a manifest with two layers", async () => {
    const store = new BlobStore();
    const m = notationReferrer(Buffer.from("{}"), "application/json", subject, store);
    const read = await readNotationManifest({
      manifest: m.bytes,
      manifestDigest: m.digest,
      fetchBlob: store.fetchBlob,
    });
    expect(read.format === "rejected" && read.failure.code).toBe("MEDIA_TYPE_NOT_SIGNATURE");
    const two = JSON.parse(m.bytes.toString());
    two.layers.push(two.layers[0]);
    const bytes = Buffer.from(JSON.stringify(two));
    const { digestOf } = await import("../support/cosign-vectors.ts");
    const read2 = await readNotationManifest({
      manifest: bytes,
      manifestDigest: digestOf(bytes),
      fetchBlob: store.fetchBlob,
    });
    expect(read2.format === "rejected" && read2.failure.code).toBe("MANIFEST_MALFORMED");
  });
});

describe("verifyTrusted with Notation", () => {
  it("reports cosign refusals then Notation ones when nothing verifies", () => {
    const store = new BlobStore();
    const other = makeCa();
    const env = jwsEnvelope(payload, [makeLeaf(other, { key: "p384" }), other], "p384");
    const result = verifyTrusted({
      imageDigest: image.digest,
      repository: REPO,
      candidates: [],
      keys: [loadPublicKey(generateTestKey("p256").publicPem)],
      notationCandidates: [
        {
          format: "notation",
          mediaType: "application/jose+json",
          envelope: env,
          source: { kind: "referrer", manifestDigest: store.put(env) },
        },
      ],
      notation: trust,
      now: NOW,
    });
    expect(result.verified).toBe(false);
    if (!result.verified) {
      expect(result.reason).toBe("no-valid-signature");
      expect(result.tried.map((t) => !t.verified && t.failure.code)).toEqual([
        "NOTATION_CHAIN_UNTRUSTED",
      ]);
    }
  });

  it("needs `now` with Notation trust", () => {
    expect(() =>
      verifyTrusted({
        imageDigest: image.digest,
        repository: REPO,
        candidates: [],
        notation: trust,
      }),
    ).toThrow(/now/);
  });
});
