import {
  BatchDeleteImageCommand,
  type BatchDeleteImageCommandInput,
  BatchGetImageCommand,
  type BatchGetImageCommandInput,
  DescribeImageScanFindingsCommand,
  type DescribeImageScanFindingsCommandInput,
  DescribeImagesCommand,
  type DescribeImagesCommandInput,
  DescribeRepositoriesCommand,
  type DescribeRepositoriesCommandInput,
  type ECRClientResolvedConfig,
  type EnhancedImageScanFinding,
  ImageNotFoundException,
  type ImageScanFinding,
  ImageStorageClassUpdateNotSupportedException,
  InvalidParameterException,
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
  /** ECR's lastRecordedPullTime; absent: never pulled. */
  lastPulledAt?: Date;
  /** imageSizeInBytes (default 3372099). */
  sizeBytes?: number;
  /** artifactMediaType: the config media type, or a non-image artifact's type. */
  artifactMediaType?: string;
  /** subjectManifestDigest: the manifest a referrer refers to. */
  subject?: string;
}

const ENHANCED_PAGE_CAP = 100;
/** DescribeImages and DescribeRepositories: default page 100, maximum 1000. */
const DEFAULT_PAGE = 100;
const MAX_PAGE = 1000;
const meta = { $metadata: {} };

export class FakeEcr {
  readonly images = new Map<string, FakeImage>();
  /** Repositories stay when their last image is deleted, as in ECR. */
  private readonly repositories = new Set<string>();
  private readonly mock: EcrStub;

  constructor(mock: EcrStub) {
    this.mock = mock;
  }

  add(image: FakeImage): FakeImage {
    this.images.set(key(image.registryId, image.repository, image.digest), image);
    this.repositories.add(repositoryKey(image.region, image.registryId, image.repository));
    return image;
  }

  get(registryId: string, repository: string, digest: string): FakeImage | undefined {
    return this.images.get(key(registryId, repository, digest));
  }

  /** Clears the images and (re)installs the command handlers on the mock. */
  install(): void {
    this.images.clear();
    this.repositories.clear();
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
      .on(DescribeRepositoriesCommand)
      .callsFake(
        regional((i: DescribeRepositoriesCommandInput, r) => this.describeRepositories(i, r)),
      );
    this.mock
      .on(BatchDeleteImageCommand)
      .callsFake(regional((i: BatchDeleteImageCommandInput, r) => this.batchDeleteImage(i, r)));
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
    if (
      found.length === 0 &&
      !this.repositories.has(repositoryKey(region, registryId ?? "", repository))
    ) {
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
    const detail = (image: FakeImage) => ({
      registryId: image.registryId,
      repositoryName: image.repository,
      imageDigest: image.digest,
      ...(image.tags.length ? { imageTags: [...image.tags] } : {}),
      imageSizeInBytes: image.sizeBytes ?? 3372099,
      imagePushedAt: image.pushedAt,
      imageManifestMediaType: image.mediaType,
      ...(image.artifactMediaType ? { artifactMediaType: image.artifactMediaType } : {}),
      ...(image.subject ? { subjectManifestDigest: image.subject } : {}),
      ...(image.lastPulledAt ? { lastRecordedPullTime: image.lastPulledAt } : {}),
      imageStatus: image.status,
    });
    if (input.imageIds === undefined) {
      // Listing: every image (archived ones only with ANY), in pages.
      const listed = all
        .filter((i) => any || i.status === "ACTIVE")
        .sort((a, b) => (a.digest < b.digest ? -1 : 1));
      const { page, nextToken } = paged(listed, input.maxResults, input.nextToken);
      return { imageDetails: page.map(detail), ...(nextToken ? { nextToken } : {}) };
    }
    const imageDetails = input.imageIds.map((id) => {
      const image = all.find((i) => i.digest === id.imageDigest);
      if (!image || (!any && image.status !== "ACTIVE")) {
        throw new ImageNotFoundException({
          message: "The image requested does not exist",
          ...meta,
        });
      }
      return detail(image);
    });
    return { imageDetails };
  }

  private describeRepositories(input: DescribeRepositoriesCommandInput, region: string) {
    const names = [...this.repositories]
      .map((k) => k.split("|"))
      .filter(([r, id]) => r === region && id === input.registryId)
      .map(([, , name]) => name as string)
      .sort();
    const { page, nextToken } = paged(names, input.maxResults, input.nextToken);
    return {
      repositories: page.map((repositoryName) => ({
        registryId: input.registryId,
        repositoryName,
        repositoryArn: `arn:aws:ecr:${region}:${input.registryId}:repository/${repositoryName}`,
      })),
      ...(nextToken ? { nextToken } : {}),
    };
  }

  /** Deletes by digest (the image and all its tags); a digest not there is ImageNotFound. */
  private batchDeleteImage(input: BatchDeleteImageCommandInput, region: string) {
    const all = this.repositoryImages(region, input.registryId, input.repositoryName ?? "");
    const ids = input.imageIds ?? [];
    if (ids.length < 1 || ids.length > 100) {
      throw new InvalidParameterException({
        message: "imageIds must hold 1 to 100 image ids",
        ...meta,
      });
    }
    const imageIds = [];
    const failures = [];
    for (const id of ids) {
      const image = all.find((i) => i.digest === id.imageDigest);
      if (image && this.images.delete(key(image.registryId, image.repository, image.digest))) {
        imageIds.push({ imageDigest: image.digest });
      } else {
        failures.push({
          imageId: id,
          failureCode: "ImageNotFound" as const,
          failureReason: "Requested image not found",
        });
      }
    }
    return { imageIds, failures };
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

function repositoryKey(region: string, registryId: string, repository: string): string {
  return `${region}|${registryId}|${repository}`;
}

/** One page of `items` as ECR pages them: maxResults (1–1000, default 100) and an opaque token. */
function paged<T>(
  items: T[],
  maxResults: number | undefined,
  nextToken: string | undefined,
): { page: T[]; nextToken?: string } {
  const size = maxResults ?? DEFAULT_PAGE;
  if (size < 1 || size > MAX_PAGE) {
    throw new InvalidParameterException({ message: "maxResults must be 1 to 1000", ...meta });
  }
  const start = nextToken ? Number(nextToken) : 0;
  const end = start + size;
  return {
    page: items.slice(start, end),
    ...(end < items.length ? { nextToken: String(end) } : {}),
  };
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
