import {
  BatchGetImageCommand,
  type BatchGetImageCommandInput,
  ECRClient,
  GetDownloadUrlForLayerCommand,
  type ImageReferrer,
  ListImageReferrersCommand,
  RepositoryNotFoundException,
} from "@aws-sdk/client-ecr";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { DigestMismatchError, EcrRegistryError } from "../../shared/adapters/ecr/ecr-errors.ts";
import { ACCEPTED_MANIFEST_MEDIA_TYPES } from "../../shared/adapters/ecr/ecr-manifest.ts";
import { loadPublicKey } from "../../shared/signatures/public-key.ts";
import { SIGSTORE_BUNDLE_V03_MEDIA_TYPE } from "../../shared/signatures/signature-formats.ts";
import { getEcrManifests } from "../../shared/signatures/sources/ecr-manifests.ts";
import type { Download } from "../../shared/signatures/sources/ecr-signature-blob.ts";
import { EcrSignatureSource } from "../../shared/signatures/sources/ecr-signature-source.ts";
import { SignatureBlobError } from "../../shared/signatures/sources/signature-blob-error.ts";
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
  messageSignatureBundle,
  signatureTag,
} from "../support/cosign-vectors.ts";

const REGISTRY_ID = "123456789012";
const REPO = "team-a/api";
const HOST = `${REGISTRY_ID}.dkr.ecr.eu-west-1.amazonaws.com`;
const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const key = generateTestKey("p256");
const bundleKey = generateTestKey("ed25519");

const ecr = mockClient(ECRClient);

/** One ECR repository: manifests by digest, tags, blobs, and the referrers ListImageReferrers pages. */
interface Repo {
  store: BlobStore;
  manifests: Map<string, string>;
  tags: Map<string, string>;
  /** Pages ListImageReferrers returns, in order. */
  referrerPages: ImageReferrer[][];
  downloads: string[];
  /** Replaces the download of a blob (Content-Length lies, tampering …). */
  download?: Download;
}

function serve(repo: Repo): void {
  ecr.on(BatchGetImageCommand).callsFake((input: BatchGetImageCommandInput) => {
    const images = [];
    const failures = [];
    for (const id of input.imageIds ?? []) {
      const digest = id.imageDigest ?? repo.tags.get(id.imageTag ?? "");
      const manifest = digest ? repo.manifests.get(digest) : undefined;
      if (digest && manifest) {
        images.push({
          registryId: REGISTRY_ID,
          repositoryName: REPO,
          imageId: { ...id, imageDigest: digest },
          imageManifest: manifest,
          imageManifestMediaType: OCI_MANIFEST,
        });
      } else {
        failures.push({
          imageId: id,
          failureCode: "ImageNotFound" as const,
          failureReason: "Requested image not found",
        });
      }
    }
    return { images, failures };
  });
  ecr.on(ListImageReferrersCommand).callsFake((input: { nextToken?: string }) => {
    const page = input.nextToken === undefined ? 0 : Number(input.nextToken.slice("page-".length));
    const next = page + 1 < repo.referrerPages.length ? { nextToken: `page-${page + 1}` } : {};
    return { referrers: repo.referrerPages[page] ?? [], ...next };
  });
  ecr.on(GetDownloadUrlForLayerCommand).callsFake((input: { layerDigest: string }) => ({
    downloadUrl: `https://prod-eu-west-1-starport-layer-bucket.s3.eu-west-1.amazonaws.com/${input.layerDigest.slice(7)}?X-Amz-Signature=s3cr3t`,
    layerDigest: input.layerDigest,
  }));
}

function newRepo(): Repo {
  return {
    store: new BlobStore(),
    manifests: new Map(),
    tags: new Map(),
    referrerPages: [],
    downloads: [],
  };
}

function put(repo: Repo, m: { bytes: Buffer; digest: string }, tag?: string): string {
  repo.manifests.set(m.digest, m.bytes.toString("utf8"));
  if (tag) repo.tags.set(tag, m.digest);
  return m.digest;
}

const referrer = (digest: string, artifactType: string, size = 500): ImageReferrer => ({
  digest,
  mediaType: OCI_MANIFEST,
  artifactType,
  size,
  artifactStatus: "ACTIVE",
});

function source(repo: Repo, limits?: { maxCandidates?: number }) {
  const download: Download = async (url, init) => {
    repo.downloads.push(url);
    if (repo.download) return repo.download(url, init);
    const blob = repo.store.blobs.get(`sha256:${new URL(url).pathname.slice(1)}`);
    return blob ? new Response(Buffer.from(blob)) : new Response("NoSuchKey", { status: 404 });
  };
  return new EcrSignatureSource(new ECRClient({ region: "eu-west-1" }), {
    download,
    ...(limits ? { limits } : {}),
  });
}

const image = imageManifest();
const ref = { registry: "ecr", registryId: REGISTRY_ID, repository: REPO, digest: image.digest };

/** An image with a `.sig` signature, a DSSE bundle, a message-signature bundle and an SBOM. */
function signedRepo() {
  const repo = newRepo();
  put(repo, image);
  const legacy = legacySignatureManifest(
    [legacySignature(key, { reference: `${HOST}/${REPO}`, digest: image.digest })],
    repo.store,
  );
  put(repo, legacy, signatureTag(image.digest));
  const dsse = put(
    repo,
    bundleReferrerManifest(
      image.digest,
      dsseBundle(bundleKey, {
        payload: inTotoStatement({ digest: image.digest, name: `${HOST}/${REPO}` }),
      }),
      repo.store,
    ),
  );
  const message = put(
    repo,
    bundleReferrerManifest(image.digest, messageSignatureBundle(key, image.bytes), repo.store),
  );
  const sbom = put(repo, {
    bytes: Buffer.from('{"schemaVersion":2,"artifactType":"application/spdx+json"}'),
    digest: digestOf(Buffer.from('{"schemaVersion":2,"artifactType":"application/spdx+json"}')),
  });
  repo.referrerPages = [
    [referrer(sbom, "application/spdx+json"), referrer(dsse, SIGSTORE_BUNDLE_V03_MEDIA_TYPE)],
    [referrer(message, SIGSTORE_BUNDLE_V03_MEDIA_TYPE)],
  ];
  return { repo, legacy: legacy.digest, dsse, message, sbom };
}

beforeEach(() => {
  ecr.reset();
});

describe("EcrSignatureSource", () => {
  it("finds the .sig tag and every signature referrer with exact, paged requests, and they verify", async () => {
    const { repo, legacy, dsse, message } = signedRepo();
    serve(repo);

    const found = await source(repo).read(ref);

    expect(found.imageDigest).toBe(image.digest);
    expect(Buffer.from(found.imageManifest).equals(image.bytes)).toBe(true);
    expect(found.candidates.map((c) => [c.source.kind, c.source.manifestDigest, c.format])).toEqual(
      [
        ["legacy-tag", legacy, "simplesigning"],
        ["referrer", dsse, "dsse"],
        ["referrer", message, "message-signature"],
      ],
    );
    expect(ecr.commandCalls(ListImageReferrersCommand).map((c) => c.args[0].input)).toEqual([
      {
        registryId: REGISTRY_ID,
        repositoryName: REPO,
        subjectId: { imageDigest: image.digest },
        maxResults: 50,
      },
      {
        registryId: REGISTRY_ID,
        repositoryName: REPO,
        subjectId: { imageDigest: image.digest },
        maxResults: 50,
        nextToken: "page-1",
      },
    ]);
    // The SBOM is listed but never fetched.
    expect(ecr.commandCalls(BatchGetImageCommand).map((c) => c.args[0].input)).toEqual([
      {
        registryId: REGISTRY_ID,
        repositoryName: REPO,
        imageIds: [{ imageDigest: image.digest }, { imageTag: signatureTag(image.digest) }],
        acceptedMediaTypes: [...ACCEPTED_MANIFEST_MEDIA_TYPES],
      },
      {
        registryId: REGISTRY_ID,
        repositoryName: REPO,
        imageIds: [{ imageDigest: dsse }, { imageDigest: message }],
        acceptedMediaTypes: [...ACCEPTED_MANIFEST_MEDIA_TYPES],
      },
    ]);
    const layerDigests = found.candidates.map((c) => c.layerDigest).sort();
    expect(
      ecr
        .commandCalls(GetDownloadUrlForLayerCommand)
        .map((c) => c.args[0].input)
        .sort((a, b) => String(a.layerDigest).localeCompare(String(b.layerDigest))),
    ).toEqual(
      layerDigests.map((layerDigest) => ({
        registryId: REGISTRY_ID,
        repositoryName: REPO,
        layerDigest,
      })),
    );
    expect(repo.downloads).toHaveLength(3);

    const verify = (k: typeof key, matchReference: boolean) =>
      verifyImageSignatures({
        imageDigest: found.imageDigest,
        imageManifest: found.imageManifest,
        repository: REPO,
        registry: HOST,
        candidates: found.candidates,
        keys: [loadPublicKey(k.publicPem)],
        options: { matchReference },
      });
    expect(verify(key, true)).toMatchObject({
      verified: true,
      signature: { format: "simplesigning" },
    });
    expect(verify(bundleKey, true)).toMatchObject({
      verified: true,
      signature: { format: "dsse" },
    });
    expect(verify(generateTestKey("p384"), false)).toMatchObject({ verified: false });
  });

  it("leaves registryId out of every request when the image names none", async () => {
    const { repo } = signedRepo();
    serve(repo);
    await source(repo).read({ repository: REPO, digest: image.digest });
    const inputs = [
      ...ecr.commandCalls(BatchGetImageCommand),
      ...ecr.commandCalls(ListImageReferrersCommand),
      ...ecr.commandCalls(GetDownloadUrlForLayerCommand),
    ].map((c) => c.args[0].input);
    expect(inputs.length).toBeGreaterThan(4);
    for (const input of inputs) expect(input).not.toHaveProperty("registryId");
  });

  it("gives an unsigned image no candidates: a missing .sig tag is not an error", async () => {
    const repo = newRepo();
    put(repo, image);
    serve(repo);
    const found = await source(repo).read(ref);
    expect(found.candidates).toEqual([]);
    expect(ecr.commandCalls(BatchGetImageCommand)).toHaveLength(1);
  });

  it("reads at most maxCandidates signature manifests and reports the rest unread", async () => {
    const { repo, legacy, dsse, message } = signedRepo();
    serve(repo);
    const found = await source(repo, { maxCandidates: 2 }).read(ref);
    expect(found.candidates.map((c) => [c.source.manifestDigest, c.format])).toEqual([
      [legacy, "simplesigning"],
      [dsse, "dsse"],
      [message, "rejected"],
    ]);
    expect(found.candidates[2]).toMatchObject({ failure: { code: "TOO_MANY_SIGNATURES" } });
    expect(ecr.commandCalls(BatchGetImageCommand)[1]?.args[0].input.imageIds).toEqual([
      { imageDigest: dsse },
    ]);
  });

  it("refuses a blob whose Content-Length is over the bound without reading its body", async () => {
    const { repo } = signedRepo();
    serve(repo);
    let pulled = 0;
    let cancelled = false;
    repo.download = async () =>
      new Response(
        new ReadableStream<Uint8Array>({
          pull(controller) {
            pulled++;
            controller.enqueue(new Uint8Array(1024));
          },
          cancel() {
            cancelled = true;
          },
        }),
        { headers: { "content-length": String(1024 * 1024 * 1024) } },
      );
    // One signature manifest, one layer: a single download.
    const err = await source(repo, { maxCandidates: 1 })
      .read(ref)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SignatureBlobError);
    expect(err).toMatchObject({ code: "BLOB_TOO_LARGE" });
    expect(cancelled).toBe(true);
    expect(pulled).toBeLessThanOrEqual(1); // a stream may pre-pull one chunk, never the body
  });

  it("cuts off a body without Content-Length once it passes the bound", async () => {
    const { repo } = signedRepo();
    serve(repo);
    let pulled = 0;
    repo.download = async () =>
      new Response(
        new ReadableStream<Uint8Array>({
          pull(controller) {
            pulled++;
            controller.enqueue(new Uint8Array(16 * 1024));
          },
        }),
      );
    await expect(source(repo, { maxCandidates: 1 }).read(ref)).rejects.toMatchObject({
      code: "BLOB_TOO_LARGE",
    });
    // A simple-signing payload's bound is 64 KiB: 4 chunks, the 5th passes it, and the stream
    // may have pulled one more ahead; nothing after that.
    expect(pulled).toBeLessThanOrEqual(6);
  });

  it("throws on tampered blob bytes, and never shows the presigned URL", async () => {
    const { repo } = signedRepo();
    serve(repo);
    repo.download = async (url) => {
      const blob =
        repo.store.blobs.get(`sha256:${new URL(url).pathname.slice(1)}`) ?? new Uint8Array();
      const tampered = Buffer.from(blob);
      tampered[0] = (tampered[0] as number) ^ 0xff;
      return new Response(tampered);
    };
    const err = await source(repo)
      .read(ref)
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "BLOB_DIGEST_MISMATCH" });
    expect(String((err as Error).message)).not.toContain("s3cr3t");
  });

  it("reports a refused download as BLOB_UNAVAILABLE without the URL", async () => {
    const { repo } = signedRepo();
    serve(repo);
    repo.download = async () => new Response("AccessDenied", { status: 403 });
    const err = await source(repo)
      .read(ref)
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "BLOB_UNAVAILABLE" });
    expect((err as Error).message).toContain("HTTP 403");
    expect((err as Error).message).not.toContain("X-Amz-Signature");
  });

  it("throws DigestMismatchError when ECR serves other bytes for a referrer's digest", async () => {
    const { repo, dsse } = signedRepo();
    repo.manifests.set(dsse, image.bytes.toString("utf8"));
    serve(repo);
    await expect(source(repo).read(ref)).rejects.toBeInstanceOf(DigestMismatchError);
  });

  it("throws ECR_IMAGE_NOT_FOUND for a missing image or repository", async () => {
    serve(newRepo());
    await expect(source(newRepo()).read(ref)).rejects.toMatchObject({
      code: "ECR_IMAGE_NOT_FOUND",
    });
    ecr.reset();
    ecr
      .on(BatchGetImageCommand)
      .rejects(new RepositoryNotFoundException({ message: "no repo", $metadata: {} }));
    ecr.on(ListImageReferrersCommand).resolves({ referrers: [] });
    await expect(source(newRepo()).read(ref)).rejects.toMatchObject({
      code: "ECR_IMAGE_NOT_FOUND",
    });
  });

  it("throws when the .sig tag cannot be read, rather than treating it as absent", async () => {
    const repo = newRepo();
    put(repo, image);
    serve(repo);
    ecr.on(BatchGetImageCommand).resolves({
      images: [{ imageId: { imageDigest: image.digest }, imageManifest: image.bytes.toString() }],
      failures: [
        {
          imageId: { imageTag: signatureTag(image.digest) },
          failureCode: "KmsError",
          failureReason: "KMS key disabled",
        },
      ],
    });
    const err = await source(repo)
      .read(ref)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EcrRegistryError);
    expect(err).toMatchObject({ code: "ECR_MANIFEST_UNAVAILABLE" });
    expect((err as Error).message).toContain("KmsError");
  });

  it("refuses an image of another registry kind and a digest that is not sha256", async () => {
    serve(newRepo());
    await expect(source(newRepo()).read({ ...ref, registry: "oci" })).rejects.toMatchObject({
      code: "ECR_WRONG_REGISTRY",
    });
    await expect(source(newRepo()).read({ ...ref, digest: "latest" })).rejects.toMatchObject({
      code: "SIGNATURE_INPUT_INVALID",
    });
    expect(ecr.calls()).toHaveLength(0);
  });
});

describe("getEcrManifests", () => {
  it("asks BatchGetImage for at most 100 ids per call", async () => {
    serve(newRepo());
    const ids = Array.from({ length: 120 }, (_, i) => ({
      imageDigest: `sha256:${i.toString(16).padStart(64, "0")}`,
    }));
    const out = await getEcrManifests(
      new ECRClient({ region: "eu-west-1" }),
      { registryId: REGISTRY_ID, repository: REPO, digest: image.digest },
      ids,
    );
    expect(out).toEqual(ids.map(() => null));
    expect(ecr.commandCalls(BatchGetImageCommand).map((c) => c.args[0].input.imageIds)).toEqual([
      ids.slice(0, 100),
      ids.slice(100),
    ]);
  });
});
