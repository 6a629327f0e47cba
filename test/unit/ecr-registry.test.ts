import { createHash } from "node:crypto";
import {
  BatchGetImageCommand,
  DescribeImageScanFindingsCommand,
  DescribeImagesCommand,
  ECRClient,
  ECRServiceException,
  ImageNotFoundException,
  ImageStorageClassUpdateNotSupportedException,
  RepositoryNotFoundException,
  UpdateImageStorageClassCommand,
} from "@aws-sdk/client-ecr";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { DigestMismatchError, EcrRegistryError } from "../../shared/adapters/ecr/ecr-errors.ts";
import { EcrRegistry } from "../../shared/adapters/ecr/ecr-registry.ts";
import type { ImageRef } from "../../shared/domain/image.ts";

// An OCI image manifest as `crane manifest` prints it: the bytes ECR stores and serves.
const MANIFEST =
  '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:7d246653d0511db2a6b2e0436cfd0e52ac8c066000264b3ce63331ac66dca625","size":1471},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4","size":3370628}]}';
const DIGEST = `sha256:${createHash("sha256").update(MANIFEST).digest("hex")}`;

const ref: ImageRef = {
  registry: "ecr",
  registryId: "123456789012",
  region: "eu-west-1",
  repository: "team-a/api",
  digest: DIGEST,
  tags: ["v1.2.3"],
};
const imageId = { imageDigest: DIGEST };
const target = { registryId: "123456789012", repositoryName: "team-a/api" };
const pushedAt = new Date("2024-05-01T10:00:00Z");

const ecr = mockClient(ECRClient);
let registry: EcrRegistry;

beforeEach(() => {
  ecr.reset();
  registry = new EcrRegistry(new ECRClient({ region: "eu-west-1" }));
});

function detail(imageStatus: "ACTIVE" | "ARCHIVED" | "ACTIVATING") {
  return {
    imageDetails: [
      {
        ...target,
        imageDigest: DIGEST,
        imageTags: ["v1.2.3", "latest"],
        imageSizeInBytes: 3372099,
        imagePushedAt: pushedAt,
        imageManifestMediaType: "application/vnd.oci.image.manifest.v1+json",
        imageStatus,
      },
    ],
  };
}

function served(manifest: string) {
  return {
    images: [
      {
        ...target,
        imageId,
        imageManifest: manifest,
        imageManifestMediaType: "application/vnd.oci.image.manifest.v1+json",
      },
    ],
    failures: [],
  };
}

const notFound = () =>
  new ImageNotFoundException({ message: "The image requested does not exist", $metadata: {} });
const accessDenied = (op: string) =>
  new ECRServiceException({
    name: "AccessDeniedException",
    $fault: "client",
    $metadata: { httpStatusCode: 400 },
    message: `User: arn:aws:sts::123456789012:assumed-role/guard/fn is not authorized to perform: ecr:${op}`,
  });

describe("EcrRegistry.resolveImage", () => {
  it("fetches the manifest by digest, accepting every manifest type, and verifies the bytes", async () => {
    ecr.on(DescribeImagesCommand).resolves(detail("ACTIVE"));
    ecr.on(BatchGetImageCommand).resolves(served(MANIFEST));

    const resolved = await registry.resolveImage(ref);

    expect(resolved).toEqual({
      ref: { ...ref, tags: ["latest", "v1.2.3"] },
      quarantined: false,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      pushedAt: "2024-05-01T10:00:00.000Z",
      sizeBytes: 3372099,
    });
    const get = ecr.commandCalls(BatchGetImageCommand)[0]?.args[0].input;
    expect(get).toMatchObject({ ...target, imageIds: [imageId] });
    expect(get?.acceptedMediaTypes).toEqual(
      expect.arrayContaining([
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
      ]),
    );
    // Archived images are only listed when asked for: without ANY a quarantined image looks deleted.
    expect(ecr.commandCalls(DescribeImagesCommand)[0]?.args[0].input).toEqual({
      ...target,
      imageIds: [imageId],
      filter: { imageStatus: "ANY" },
    });
  });

  it("throws DIGEST_MISMATCH when the served bytes hash to another digest", async () => {
    ecr.on(DescribeImagesCommand).resolves(detail("ACTIVE"));
    // The same JSON, re-serialized with a space: a different byte string, so a different digest.
    ecr
      .on(BatchGetImageCommand)
      .resolves(served(MANIFEST.replace('"schemaVersion":2', '"schemaVersion": 2')));

    const err = await registry.resolveImage(ref).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(DigestMismatchError);
    expect(err).toMatchObject({ code: "DIGEST_MISMATCH", expected: DIGEST });
    expect((err as DigestMismatchError).computed).not.toBe(DIGEST);
    expect((err as Error).message).toContain("team-a/api");
  });

  it.each(["ARCHIVED", "ACTIVATING"] as const)(
    "reports a %s image as quarantined even though ECR serves no manifest for it",
    async (status) => {
      ecr.on(DescribeImagesCommand).resolves(detail(status));
      ecr.on(BatchGetImageCommand).resolves({
        images: [],
        failures: [
          { imageId, failureCode: "ImageNotFound", failureReason: "Requested image not found" },
        ],
      });

      const resolved = await registry.resolveImage(ref);

      expect(resolved?.quarantined).toBe(true);
      expect(resolved?.ref.digest).toBe(DIGEST);
    },
  );

  it("still verifies the digest of an archived image whose manifest ECR does serve", async () => {
    ecr.on(DescribeImagesCommand).resolves(detail("ARCHIVED"));
    ecr.on(BatchGetImageCommand).resolves(served(`${MANIFEST}\n`));
    await expect(registry.resolveImage(ref)).rejects.toBeInstanceOf(DigestMismatchError);
  });

  it("returns null when an active image vanishes between DescribeImages and BatchGetImage", async () => {
    ecr.on(DescribeImagesCommand).resolves(detail("ACTIVE"));
    ecr.on(BatchGetImageCommand).resolves({
      failures: [
        { imageId, failureCode: "ImageNotFound", failureReason: "Requested image not found" },
      ],
    });
    expect(await registry.resolveImage(ref)).toBeNull();
  });

  it("refuses an active image whose manifest cannot be read, naming ECR's failure", async () => {
    ecr.on(DescribeImagesCommand).resolves(detail("ACTIVE"));
    ecr.on(BatchGetImageCommand).resolves({
      failures: [{ imageId, failureCode: "KmsError", failureReason: "KMS key is disabled" }],
    });
    const err = await registry.resolveImage(ref).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EcrRegistryError);
    expect(err).toMatchObject({
      code: "ECR_MANIFEST_UNAVAILABLE",
      repository: "team-a/api",
      digest: DIGEST,
    });
    expect((err as Error).message).toContain("KmsError: KMS key is disabled");
  });

  it("returns null for ImageNotFoundException and RepositoryNotFoundException", async () => {
    ecr
      .on(DescribeImagesCommand)
      .rejectsOnce(notFound())
      .rejectsOnce(
        new RepositoryNotFoundException({ message: "repository does not exist", $metadata: {} }),
      );
    expect(await registry.resolveImage(ref)).toBeNull();
    expect(await registry.resolveImage(ref)).toBeNull();
    expect(ecr.commandCalls(BatchGetImageCommand)).toHaveLength(0);
  });

  it("surfaces AccessDenied as an error naming the call, repository, digest and permission", async () => {
    ecr.on(DescribeImagesCommand).rejects(accessDenied("DescribeImages"));
    const err = await registry.resolveImage(ref).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EcrRegistryError);
    expect(err).toMatchObject({ code: "ECR_REQUEST_FAILED", awsError: "AccessDeniedException" });
    const message = (err as Error).message;
    expect(message).toContain("DescribeImages");
    expect(message).toContain(`team-a/api@${DIGEST}`);
    expect(message).toContain("grant ecr:DescribeImages");
  });

  it("refuses an ImageRef from another registry kind without calling ECR", async () => {
    const err = await registry.resolveImage({ ...ref, registry: "oci" }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "ECR_WRONG_REGISTRY" });
    expect(ecr.calls()).toHaveLength(0);
  });
});

describe("EcrRegistry.quarantine and release", () => {
  it("archives an active image with the exact UpdateImageStorageClass request", async () => {
    ecr.on(DescribeImagesCommand).resolves(detail("ACTIVE"));
    ecr
      .on(UpdateImageStorageClassCommand)
      .resolves({ ...target, imageId, imageStatus: "ARCHIVED" });

    expect(await registry.quarantine(ref)).toEqual({ alreadyQuarantined: false });
    const calls = ecr.commandCalls(UpdateImageStorageClassCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input).toEqual({ ...target, imageId, targetStorageClass: "ARCHIVE" });
  });

  it("does nothing for an image that is already archived", async () => {
    ecr.on(DescribeImagesCommand).resolves(detail("ARCHIVED"));
    expect(await registry.quarantine(ref)).toEqual({ alreadyQuarantined: true });
    expect(ecr.commandCalls(UpdateImageStorageClassCommand)).toHaveLength(0);
  });

  it("treats a refusal as done when a concurrent run archived the image meanwhile", async () => {
    ecr.on(DescribeImagesCommand).resolvesOnce(detail("ACTIVE")).resolvesOnce(detail("ARCHIVED"));
    ecr.on(UpdateImageStorageClassCommand).rejects(
      new ImageStorageClassUpdateNotSupportedException({
        message: "not supported",
        $metadata: {},
      }),
    );
    expect(await registry.quarantine(ref)).toEqual({ alreadyQuarantined: true });
  });

  it("explains a refusal while the image is being restored", async () => {
    ecr.on(DescribeImagesCommand).resolves(detail("ACTIVATING"));
    ecr.on(UpdateImageStorageClassCommand).rejects(
      new ImageStorageClassUpdateNotSupportedException({
        message: "not supported",
        $metadata: {},
      }),
    );
    const err = await registry.quarantine(ref).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "ECR_STORAGE_CLASS_REJECTED" });
    expect((err as Error).message).toContain("being restored");
  });

  it("fails clearly when the image to quarantine does not exist", async () => {
    ecr.on(DescribeImagesCommand).rejects(notFound());
    const err = await registry.quarantine(ref).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: "ECR_IMAGE_NOT_FOUND",
      repository: "team-a/api",
      digest: DIGEST,
    });
    expect(ecr.commandCalls(UpdateImageStorageClassCommand)).toHaveLength(0);
  });

  it("surfaces a denied UpdateImageStorageClass naming the permission", async () => {
    ecr.on(DescribeImagesCommand).resolves(detail("ACTIVE"));
    ecr.on(UpdateImageStorageClassCommand).rejects(accessDenied("UpdateImageStorageClass"));
    await expect(registry.quarantine(ref)).rejects.toThrow(/grant ecr:UpdateImageStorageClass/);
  });

  it("restores an archived image to STANDARD", async () => {
    ecr.on(DescribeImagesCommand).resolves(detail("ARCHIVED"));
    ecr
      .on(UpdateImageStorageClassCommand)
      .resolves({ ...target, imageId, imageStatus: "ACTIVATING" });

    expect(await registry.release(ref)).toEqual({ wasQuarantined: true });
    expect(ecr.commandCalls(UpdateImageStorageClassCommand)[0]?.args[0].input).toEqual({
      ...target,
      imageId,
      targetStorageClass: "STANDARD",
    });
  });

  it("releases nothing for an active image, and does not restart a restore under way", async () => {
    ecr.on(DescribeImagesCommand).resolvesOnce(detail("ACTIVE")).resolvesOnce(detail("ACTIVATING"));
    expect(await registry.release(ref)).toEqual({ wasQuarantined: false });
    expect(await registry.release(ref)).toEqual({ wasQuarantined: true });
    expect(ecr.commandCalls(UpdateImageStorageClassCommand)).toHaveLength(0);
  });
});

describe("EcrRegistry.getScanResult errors", () => {
  it("ScanNotFoundException means no scan: status NONE", async () => {
    ecr.on(DescribeImageScanFindingsCommand).rejects(
      new ECRServiceException({
        name: "ScanNotFoundException",
        $fault: "client",
        $metadata: {},
        message: "Image scan does not exist for the image",
      }),
    );
    const scan = await registry.getScanResult(ref);
    expect(scan).toMatchObject({ status: "NONE", scanner: "basic", findings: [] });
  });

  it.each([
    ["ImageNotFoundException", notFound()],
    [
      "RepositoryNotFoundException",
      new RepositoryNotFoundException({ message: "no repository", $metadata: {} }),
    ],
  ])("%s is ECR_IMAGE_NOT_FOUND", async (_name, error) => {
    ecr.on(DescribeImageScanFindingsCommand).rejects(error);
    await expect(registry.getScanResult(ref)).rejects.toMatchObject({
      code: "ECR_IMAGE_NOT_FOUND",
      operation: "DescribeImageScanFindings",
    });
  });

  it("AccessDenied names the repository, digest and permission", async () => {
    ecr.on(DescribeImageScanFindingsCommand).rejects(accessDenied("DescribeImageScanFindings"));
    const err = await registry.getScanResult(ref).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "ECR_REQUEST_FAILED", awsError: "AccessDeniedException" });
    expect((err as Error).message).toContain(`team-a/api@${DIGEST}`);
    expect((err as Error).message).toContain("grant ecr:DescribeImageScanFindings");
  });
});
