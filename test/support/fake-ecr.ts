import {
  BatchGetImageCommand,
  type BatchGetImageCommandInput,
  DescribeImageScanFindingsCommand,
  type DescribeImageScanFindingsCommandInput,
  DescribeImagesCommand,
  type DescribeImagesCommandInput,
  type ECRClientResolvedConfig,
  type EnhancedImageScanFinding,
  ImageNotFoundException,
  type ImageScanFinding,
  ImageStorageClassUpdateNotSupportedException,
  RepositoryNotFoundException,
  ScanNotFoundException,
  type ServiceInputTypes,
  type ServiceOutputTypes,
  UpdateImageStorageClassCommand,
  type UpdateImageStorageClassCommandInput,
} from "@aws-sdk/client-ecr";
import type { AwsStub } from "aws-sdk-client-mock";

/** What mockClient(ECRClient) returns. */
export type EcrStub = AwsStub<ServiceInputTypes, ServiceOutputTypes, ECRClientResolvedConfig>;

/**
 * A stateful stand-in for the ECR API behind aws-sdk-client-mock: images with their manifest
 * bytes, storage class and latest scan. It answers the way the ECR API reference describes
 * (DescribeImages lists archived images only with `imageStatus: ANY`; BatchGetImage serves no
 * manifest for an archived image and reports it in failures[]; enhanced findings come at most
 * 100 a page whatever maxResults says), so a quarantine is visible to the next call.
 */

export type FakeStatus = "ACTIVE" | "ARCHIVED" | "ACTIVATING";

export interface FakeScan {
  /** As DescribeImageScanFindings reports it: COMPLETE, IN_PROGRESS, ACTIVE (enhanced) … */
  status: string;
  basic?: ImageScanFinding[];
  enhanced?: EnhancedImageScanFinding[];
  completedAt?: Date;
}

export interface FakeImage {
  /** ECR is regional: a client configured for another region does not see the image. */
  region: string;
  registryId: string;
  repository: string;
  digest: string;
  manifest: string;
  mediaType: string;
  tags: string[];
  pushedAt: Date;
  status: FakeStatus;
  /** Absent: ECR has no scan for the image (ScanNotFoundException). */
  scan?: FakeScan;
  /** When set, every call to its repository fails with it (a permission or service fault). */
  failWith?: Error;
}

const ENHANCED_PAGE_CAP = 100;
const meta = { $metadata: {} };

export class FakeEcr {
  readonly images = new Map<string, FakeImage>();
  private readonly mock: EcrStub;

  constructor(mock: EcrStub) {
    this.mock = mock;
  }

  add(image: FakeImage): FakeImage {
    this.images.set(key(image.registryId, image.repository, image.digest), image);
    return image;
  }

  get(registryId: string, repository: string, digest: string): FakeImage | undefined {
    return this.images.get(key(registryId, repository, digest));
  }

  /** Clears the images and (re)installs the command handlers on the mock. */
  install(): void {
    this.images.clear();
    this.mock.onAnyCommand().rejects(new Error("unexpected ECR command"));
    const regional =
      <I>(answer: (input: I, region: string) => unknown) =>
      async (input: I, getClient: () => { config: ECRClientResolvedConfig }) =>
        answer(input, await getClient().config.region());
    this.mock
      .on(DescribeImagesCommand)
      .callsFake(regional((i: DescribeImagesCommandInput, r) => this.describeImages(i, r)));
    this.mock
      .on(BatchGetImageCommand)
      .callsFake(regional((i: BatchGetImageCommandInput, r) => this.batchGetImage(i, r)));
    this.mock
      .on(DescribeImageScanFindingsCommand)
      .callsFake(
        regional((i: DescribeImageScanFindingsCommandInput, r) => this.scanFindings(i, r)),
      );
    this.mock
      .on(UpdateImageStorageClassCommand)
      .callsFake(
        regional((i: UpdateImageStorageClassCommandInput, r) => this.updateStorageClass(i, r)),
      );
  }

  private repositoryImages(
    region: string,
    registryId: string | undefined,
    repository: string,
  ): FakeImage[] {
    const found = [...this.images.values()].filter(
      (i) => i.region === region && i.registryId === registryId && i.repository === repository,
    );
    const failing = found.find((i) => i.failWith);
    if (failing?.failWith) throw failing.failWith;
    if (found.length === 0) {
      throw new RepositoryNotFoundException({
        message: `The repository with name '${repository}' does not exist in the registry with id '${registryId}'`,
        ...meta,
      });
    }
    return found;
  }

  private describeImages(input: DescribeImagesCommandInput, region: string) {
    const all = this.repositoryImages(region, input.registryId, input.repositoryName ?? "");
    const any = input.filter?.imageStatus === "ANY";
    const imageDetails = (input.imageIds ?? []).map((id) => {
      const image = all.find((i) => i.digest === id.imageDigest);
      if (!image || (!any && image.status !== "ACTIVE")) {
        throw new ImageNotFoundException({
          message: "The image requested does not exist",
          ...meta,
        });
      }
      return {
        registryId: image.registryId,
        repositoryName: image.repository,
        imageDigest: image.digest,
        imageTags: [...image.tags],
        imageSizeInBytes: 3372099,
        imagePushedAt: image.pushedAt,
        imageManifestMediaType: image.mediaType,
        imageStatus: image.status,
      };
    });
    return { imageDetails };
  }

  private batchGetImage(input: BatchGetImageCommandInput, region: string) {
    const all = this.repositoryImages(region, input.registryId, input.repositoryName ?? "");
    const images = [];
    const failures = [];
    for (const id of input.imageIds ?? []) {
      const image = all.find((i) => i.digest === id.imageDigest);
      if (image?.status === "ACTIVE") {
        images.push({
          registryId: image.registryId,
          repositoryName: image.repository,
          imageId: { imageDigest: image.digest },
          imageManifest: image.manifest,
          imageManifestMediaType: image.mediaType,
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
  }

  private scanFindings(input: DescribeImageScanFindingsCommandInput, region: string) {
    const all = this.repositoryImages(region, input.registryId, input.repositoryName ?? "");
    const image = all.find((i) => i.digest === input.imageId?.imageDigest);
    if (!image) {
      throw new ImageNotFoundException({ message: "The image requested does not exist", ...meta });
    }
    const scan = image.scan;
    if (!scan) {
      throw new ScanNotFoundException({
        message: `Image scan does not exist for the image with '{imageDigest:'${image.digest}'}' in the repository with name '${image.repository}'`,
        ...meta,
      });
    }
    const enhanced = scan.enhanced !== undefined;
    const list: unknown[] = scan.enhanced ?? scan.basic ?? [];
    const asked = input.maxResults ?? 100;
    const size = enhanced ? Math.min(asked, ENHANCED_PAGE_CAP) : asked;
    const start = input.nextToken ? Number(input.nextToken) : 0;
    const page = list.slice(start, start + size);
    const next = start + size < list.length ? String(start + size) : undefined;
    const findingsKey = enhanced ? "enhancedFindings" : "findings";
    const complete = scan.status === "COMPLETE" || scan.status === "ACTIVE";
    return {
      registryId: image.registryId,
      repositoryName: image.repository,
      imageId: { imageDigest: image.digest },
      imageScanStatus: {
        status: scan.status,
        description: complete ? "The scan was completed successfully." : "Scan in progress.",
      },
      ...(complete
        ? {
            imageScanFindings: {
              ...(scan.completedAt ? { imageScanCompletedAt: scan.completedAt } : {}),
              [findingsKey]: page,
            },
          }
        : {}),
      ...(next ? { nextToken: next } : {}),
    };
  }

  private updateStorageClass(input: UpdateImageStorageClassCommandInput, region: string) {
    const all = this.repositoryImages(region, input.registryId, input.repositoryName ?? "");
    const image = all.find((i) => i.digest === input.imageId?.imageDigest);
    if (!image) {
      throw new ImageNotFoundException({ message: "The image requested does not exist", ...meta });
    }
    const target = input.targetStorageClass;
    if (
      (target === "ARCHIVE" && image.status !== "ACTIVE") ||
      (target === "STANDARD" && image.status !== "ARCHIVED")
    ) {
      throw new ImageStorageClassUpdateNotSupportedException({
        message: `The image cannot be moved from ${image.status} to ${target}`,
        ...meta,
      });
    }
    image.status = target === "ARCHIVE" ? "ARCHIVED" : "ACTIVATING";
    return {
      registryId: image.registryId,
      repositoryName: image.repository,
      imageId: { imageDigest: image.digest },
      imageStatus: image.status,
    };
  }
}

function key(registryId: string, repository: string, digest: string): string {
  return `${registryId}/${repository}@${digest}`;
}

/** A basic-scan finding as DescribeImageScanFindings returns it. */
export function basicFinding(id: string, severity: string, pkg: string): ImageScanFinding {
  return {
    name: id,
    uri: `https://security-tracker.debian.org/tracker/${id}`,
    severity: severity as ImageScanFinding["severity"],
    attributes: [
      { key: "package_version", value: "1.0.0-1" },
      { key: "package_name", value: pkg },
    ],
  };
}

/** An enhanced (Inspector) finding as DescribeImageScanFindings returns it. */
export function enhancedFinding(
  id: string,
  severity: string,
  pkg: string,
  score: number,
): EnhancedImageScanFinding {
  return {
    awsAccountId: "123456789012",
    findingArn: `arn:aws:inspector2:us-east-2:123456789012:finding/${id.toLowerCase()}`,
    severity,
    status: "ACTIVE",
    title: `${id} - ${pkg}`,
    type: "PACKAGE_VULNERABILITY",
    score,
    fixAvailable: "YES",
    packageVulnerabilityDetails: {
      vulnerabilityId: id,
      source: "NVD",
      sourceUrl: `https://nvd.nist.gov/vuln/detail/${id}`,
      vulnerablePackages: [
        { name: pkg, version: "1.0.2k", packageManager: "OS", fixedInVersion: "1.0.2k-24" },
      ],
    },
  };
}
