import { createHash } from "node:crypto";
import {
  BatchGetImageCommand,
  type BatchGetImageCommandInput,
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
  ECRClient,
  ECRServiceException,
  type ImageDetail,
  RepositoryNotFoundException,
} from "@aws-sdk/client-ecr";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { DigestMismatchError } from "../../shared/adapters/ecr/ecr-errors.ts";
import { EcrRetentionError } from "../../shared/adapters/ecr/ecr-retention-errors.ts";
import { EcrRetentionRegistry } from "../../shared/adapters/ecr/ecr-retention-registry.ts";
import type { Log } from "../../shared/ports.ts";

const REGISTRY = "123456789012";
const REPO = "team-a/api";
const target = { registryId: REGISTRY, repositoryName: REPO };
const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
const SBOM = "application/spdx+json";

const sha = (s: string) => `sha256:${createHash("sha256").update(s).digest("hex")}`;
const fakeDigest = (i: number) => sha(`image-${i}`);

function imageManifest(seed: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: OCI_CONFIG, digest: sha(`config-${seed}`), size: 1200 },
    layers: [
      { mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: sha(seed), size: 9 },
    ],
    ...extra,
  });
}

function indexManifest(children: string[]): string {
  return JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_INDEX,
    manifests: children.map((digest, i) => ({
      mediaType: OCI_MANIFEST,
      digest,
      size: 500 + i,
      platform: { architecture: i ? "arm64" : "amd64", os: "linux" },
    })),
  });
}

function referrerManifest(subject: string): string {
  return JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    artifactType: SBOM,
    config: { mediaType: "application/vnd.oci.empty.v1+json", digest: sha("{}"), size: 2 },
    layers: [{ mediaType: SBOM, digest: sha(`sbom-${subject}`), size: 4000 }],
    subject: { mediaType: OCI_MANIFEST, digest: subject, size: 500 },
  });
}

function detail(digest: string, over: Partial<ImageDetail> = {}): ImageDetail {
  return {
    ...target,
    imageDigest: digest,
    imageSizeInBytes: 1000,
    imagePushedAt: new Date("2024-05-01T10:00:00Z"),
    imageManifestMediaType: OCI_MANIFEST,
    artifactMediaType: OCI_CONFIG,
    imageStatus: "ACTIVE",
    ...over,
  };
}

const ecr = mockClient(ECRClient);
const warnings: Record<string, unknown>[] = [];
const log: Log = {
  debug() {},
  info() {},
  warn: (_m, ...extra) => warnings.push(Object.assign({}, ...extra)),
  error() {},
};
let registry: EcrRetentionRegistry;

beforeEach(() => {
  ecr.reset();
  warnings.length = 0;
  ecr.onAnyCommand().rejects(new Error("unexpected ECR command"));
  registry = new EcrRetentionRegistry({
    client: new ECRClient({ region: "eu-west-1" }),
    registryId: REGISTRY,
    region: "eu-west-1",
    log,
  });
});

/** Serves manifests by digest from `store`, failing those listed in `failures`. */
function serveManifests(store: Map<string, string>, failures = new Map<string, string>()) {
  ecr.on(BatchGetImageCommand).callsFake((input: BatchGetImageCommandInput) => ({
    images: (input.imageIds ?? [])
      .filter((id) => store.has(id.imageDigest ?? ""))
      .map((id) => ({
        ...target,
        imageId: id,
        imageManifest: store.get(id.imageDigest ?? ""),
        imageManifestMediaType: OCI_MANIFEST,
      })),
    failures: (input.imageIds ?? [])
      .filter((id) => failures.has(id.imageDigest ?? ""))
      .map((id) => ({
        imageId: id,
        failureCode: failures.get(id.imageDigest ?? ""),
        failureReason: "Requested image not found",
      })),
  }));
}

describe("EcrRetentionRegistry.listRepositories", () => {
  it("reads every DescribeRepositories page (1000 each) and sorts the names", async () => {
    ecr
      .on(DescribeRepositoriesCommand)
      .resolvesOnce({
        repositories: [{ repositoryName: "team-b/worker" }, { repositoryName: "Z-upper" }],
        nextToken: "t1",
      })
      .resolvesOnce({
        repositories: [{ repositoryName: "team-a/api" }, { repositoryName: "team-b/worker" }],
        nextToken: "t2",
      })
      .resolvesOnce({ repositories: [{ repositoryName: "a" }] });

    expect(await registry.listRepositories()).toEqual([
      "Z-upper",
      "a",
      "team-a/api",
      "team-b/worker",
    ]);
    expect(ecr.commandCalls(DescribeRepositoriesCommand).map((c) => c.args[0].input)).toEqual([
      { registryId: REGISTRY, maxResults: 1000 },
      { registryId: REGISTRY, maxResults: 1000, nextToken: "t1" },
      { registryId: REGISTRY, maxResults: 1000, nextToken: "t2" },
    ]);
  });

  it("names the missing permission when DescribeRepositories is denied", async () => {
    ecr.on(DescribeRepositoriesCommand).rejects(
      new ECRServiceException({
        name: "AccessDeniedException",
        $fault: "client",
        $metadata: { httpStatusCode: 400 },
        message: "not authorized to perform: ecr:DescribeRepositories",
      }),
    );
    const err = await registry.listRepositories().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EcrRetentionError);
    expect((err as Error).message).toContain("grant ecr:DescribeRepositories");
  });
});

describe("EcrRetentionRegistry.inventory", () => {
  it("pages DescribeImages at 1000 with imageStatus ANY, passing each nextToken on", async () => {
    const details = Array.from({ length: 2500 }, (_, i) =>
      detail(fakeDigest(i), { imageTags: [`v${i}`] }),
    );
    ecr
      .on(DescribeImagesCommand)
      .resolvesOnce({ imageDetails: details.slice(0, 1000), nextToken: "p2" })
      .resolvesOnce({ imageDetails: details.slice(1000, 2000), nextToken: "p3" })
      .resolvesOnce({ imageDetails: details.slice(2000) });

    const inv = await registry.inventory(REPO);

    expect(ecr.commandCalls(DescribeImagesCommand).map((c) => c.args[0].input)).toEqual([
      { ...target, maxResults: 1000, filter: { imageStatus: "ANY" } },
      { ...target, maxResults: 1000, filter: { imageStatus: "ANY" }, nextToken: "p2" },
      { ...target, maxResults: 1000, filter: { imageStatus: "ANY" }, nextToken: "p3" },
    ]);
    expect(inv).toMatchObject({
      registry: "ecr",
      registryId: REGISTRY,
      region: "eu-west-1",
      repository: REPO,
      manifestsKnown: true,
      pullTimesKnown: true,
    });
    expect(new Set(inv.artifacts.map((a) => a.digest))).toEqual(
      new Set(details.map((d) => d.imageDigest)),
    );
    // Plain tagged images need no manifest read.
    expect(ecr.commandCalls(BatchGetImageCommand)).toHaveLength(0);
  });

  it("maps each record: tags, times (never pulled ⇒ null), size, types, archive as quarantine", async () => {
    const plain = fakeDigest(1);
    const archived = fakeDigest(2);
    ecr.on(DescribeImagesCommand).resolves({
      imageDetails: [
        detail(plain, {
          imageTags: ["v2", "latest", "v2"],
          lastRecordedPullTime: new Date("2024-05-20T08:00:00Z"),
        }),
        detail(archived, {
          imageTags: ["v1"],
          imageStatus: "ARCHIVED",
          lastArchivedAt: new Date("2024-05-03T12:00:00Z"),
        }),
      ],
    });

    const inv = await registry.inventory(REPO);

    expect(inv.artifacts.find((a) => a.digest === plain)).toEqual({
      digest: plain,
      tags: ["latest", "v2"],
      pushedAt: "2024-05-01T10:00:00.000Z",
      lastPulledAt: "2024-05-20T08:00:00.000Z",
      sizeBytes: 1000,
      mediaType: OCI_MANIFEST,
    });
    expect(inv.artifacts.find((a) => a.digest === archived)).toMatchObject({
      lastPulledAt: null,
      quarantined: true,
      quarantinedAt: "2024-05-03T12:00:00.000Z",
    });
  });

  it("reads image indexes for their children, verifying each manifest's digest", async () => {
    const amd = imageManifest("amd");
    const arm = imageManifest("arm");
    const index = indexManifest([sha(amd), sha(arm)]);
    ecr.on(DescribeImagesCommand).resolves({
      imageDetails: [
        detail(sha(index), {
          imageTags: ["v3"],
          imageManifestMediaType: OCI_INDEX,
          artifactMediaType: undefined,
        }),
        detail(sha(amd)),
        detail(sha(arm)),
      ],
    });
    serveManifests(new Map([[sha(index), index]]));

    const inv = await registry.inventory(REPO);

    const get = ecr.commandCalls(BatchGetImageCommand);
    expect(get).toHaveLength(1);
    expect(get[0]?.args[0].input).toMatchObject({
      ...target,
      imageIds: [{ imageDigest: sha(index) }],
    });
    expect(get[0]?.args[0].input.acceptedMediaTypes).toEqual(
      expect.arrayContaining([
        OCI_INDEX,
        OCI_MANIFEST,
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.docker.distribution.manifest.v2+json",
      ]),
    );
    expect(inv.artifacts.find((a) => a.digest === sha(index))?.children).toEqual([
      sha(amd),
      sha(arm),
    ]);
    expect(inv.manifestsKnown).toBe(true);
  });

  it("reads indexes 100 per BatchGetImage call", async () => {
    const indexes = Array.from({ length: 250 }, (_, i) => indexManifest([fakeDigest(i)]));
    ecr.on(DescribeImagesCommand).resolves({
      imageDetails: indexes.map((m, i) =>
        detail(sha(m), { imageTags: [`t${i}`], imageManifestMediaType: OCI_INDEX }),
      ),
    });
    serveManifests(new Map(indexes.map((m) => [sha(m), m])));

    const inv = await registry.inventory(REPO);

    const sizes = ecr
      .commandCalls(BatchGetImageCommand)
      .map((c) => c.args[0].input.imageIds?.length)
      .sort((a, b) => (b ?? 0) - (a ?? 0));
    expect(sizes).toEqual([100, 100, 50]);
    const asked = ecr
      .commandCalls(BatchGetImageCommand)
      .flatMap((c) => c.args[0].input.imageIds?.map((id) => id.imageDigest) ?? []);
    expect(new Set(asked)).toEqual(new Set(indexes.map(sha)));
    expect(asked).toHaveLength(250);
    expect(inv.artifacts.every((a) => a.children?.length === 1)).toBe(true);
  });

  it("reads only the untagged non-image artifacts whose subject ECR did not report", async () => {
    const subject = imageManifest("subject");
    const sbom = referrerManifest(sha(subject));
    const reported = referrerManifest(`${sha(subject)}`).replace("4000", "4001");
    const child = imageManifest("child", { artifactType: "application/vnd.example.child" });
    const index = indexManifest([sha(child)]);
    const helm = fakeDigest(7);
    const untaggedImage = fakeDigest(8);
    ecr.on(DescribeImagesCommand).resolves({
      imageDetails: [
        detail(sha(subject), { imageTags: ["v1"] }),
        // Untagged SBOM, subject not reported: the one manifest worth reading.
        detail(sha(sbom), { artifactMediaType: SBOM }),
        // ECR reported the subject: no read.
        detail(sha(reported), { artifactMediaType: SBOM, subjectManifestDigest: sha(subject) }),
        // A tagged chart is a top-level artifact whatever it refers to.
        detail(helm, {
          imageTags: ["1.2.0"],
          artifactMediaType: "application/vnd.cncf.helm.config.v1+json",
        }),
        // Untagged images are never read: a read counts as a pull.
        detail(untaggedImage),
        // Listed by an index: placed already.
        detail(sha(child), { artifactMediaType: "application/vnd.example.child" }),
        detail(sha(index), { imageTags: ["multi"], imageManifestMediaType: OCI_INDEX }),
      ],
    });
    serveManifests(
      new Map([
        [sha(index), index],
        [sha(sbom), sbom],
      ]),
    );

    const inv = await registry.inventory(REPO);

    const asked = ecr
      .commandCalls(BatchGetImageCommand)
      .map((c) => c.args[0].input.imageIds?.map((id) => id.imageDigest));
    expect(asked).toEqual([[sha(index)], [sha(sbom)]]);
    const by = (d: string) => inv.artifacts.find((a) => a.digest === d);
    expect(by(sha(sbom))).toMatchObject({ subject: sha(subject), artifactType: SBOM });
    expect(by(sha(reported))).toMatchObject({ subject: sha(subject), artifactType: SBOM });
    expect(by(helm)).toMatchObject({ artifactType: "application/vnd.cncf.helm.config.v1+json" });
    expect(by(helm)?.subject).toBeUndefined();
    expect(by(untaggedImage)?.subject).toBeUndefined();
    expect(inv.manifestsKnown).toBe(true);
  });

  it("throws DIGEST_MISMATCH when a manifest's bytes hash to another digest", async () => {
    const index = indexManifest([fakeDigest(1)]);
    ecr.on(DescribeImagesCommand).resolves({
      imageDetails: [detail(sha(index), { imageTags: ["v1"], imageManifestMediaType: OCI_INDEX })],
    });
    serveManifests(
      new Map([[sha(index), index.replace('"schemaVersion":2', '"schemaVersion": 2')]]),
    );

    const err = await registry.inventory(REPO).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(DigestMismatchError);
    expect(err).toMatchObject({ code: "DIGEST_MISMATCH", expected: sha(index) });
  });

  it("marks manifests unknown when an index cannot be read (an archived index is not served)", async () => {
    const archivedIndex = fakeDigest(3);
    ecr.on(DescribeImagesCommand).resolves({
      imageDetails: [
        detail(archivedIndex, {
          imageTags: ["v0"],
          imageManifestMediaType: OCI_INDEX,
          imageStatus: "ARCHIVED",
        }),
        detail(fakeDigest(4)),
      ],
    });
    serveManifests(new Map(), new Map([[archivedIndex, "ImageNotFound"]]));

    const inv = await registry.inventory(REPO);

    expect(inv.manifestsKnown).toBe(false);
    expect(inv.artifacts.find((a) => a.digest === archivedIndex)).toMatchObject({
      quarantined: true,
    });
    expect(warnings).toEqual([
      expect.objectContaining({ repository: REPO, digest: archivedIndex, code: "ImageNotFound" }),
    ]);
  });

  it("returns an empty inventory for a repository deleted since it was listed", async () => {
    ecr
      .on(DescribeImagesCommand)
      .rejects(new RepositoryNotFoundException({ message: "no such repository", $metadata: {} }));
    const inv = await registry.inventory(REPO);
    expect(inv.artifacts).toEqual([]);
  });

  it("refuses a nextToken returned twice", async () => {
    ecr
      .on(DescribeImagesCommand)
      .resolves({ imageDetails: [detail(fakeDigest(1))], nextToken: "same" });
    const err = await registry.inventory(REPO).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "ECR_PAGING_LOOP", repository: REPO });
    expect(ecr.commandCalls(DescribeImagesCommand)).toHaveLength(2);
  });

  it("names the permission to grant when DescribeImages is denied", async () => {
    ecr.on(DescribeImagesCommand).rejects(
      new ECRServiceException({
        name: "AccessDeniedException",
        $fault: "client",
        $metadata: { httpStatusCode: 400 },
        message: "not authorized",
      }),
    );
    const err = await registry.inventory(REPO).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EcrRetentionError);
    expect(err).toMatchObject({ code: "ECR_REQUEST_FAILED", awsError: "AccessDeniedException" });
    expect((err as Error).message).toContain("grant ecr:DescribeImages");
    expect((err as Error).message).toContain(REPO);
  });
});
