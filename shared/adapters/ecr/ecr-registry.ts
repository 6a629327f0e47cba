import type { ECRClient, ImageDetail } from "@aws-sdk/client-ecr";
import type { ScanResult } from "../../domain/finding.ts";
import type { ImageRef, RegistryKind } from "../../domain/image.ts";
import type { SignatureReader } from "../../pipeline/signature-reader.ts";
import type { ReferrerInfo, ReferrerLookup } from "../../pipeline/subject-of.ts";
import type { Registry, ResolvedImage } from "../../ports.ts";
import { EcrSignatureSource } from "../../signatures/sources/ecr-signature-source.ts";
import type { SignedImageSignatures } from "../../signatures/sources/signature-source-reader.ts";
import { describeEcrImage, imageStatusOf, isUnpullable } from "./ecr-describe-image.ts";
import { DigestMismatchError, EcrRegistryError } from "./ecr-errors.ts";
import { fetchEcrManifest } from "./ecr-fetch-manifest.ts";
import { manifestDigest } from "./ecr-manifest.ts";
import { ecrReferrerOf } from "./ecr-referrer-of.ts";
import { type EcrScanner, readEcrScanFindings } from "./ecr-scan-findings.ts";
import { transitionStorageClass } from "./ecr-storage-class.ts";

export interface EcrRegistryOptions {
  /**
   * The registry's scan type, when known (GetRegistryScanningConfiguration): sizes the first
   * findings page. Either way the findings themselves decide, and the adapter remembers.
   */
  scanner?: EcrScanner;
}

/**
 * Amazon ECR behind the Registry port. Quarantine is the ARCHIVE storage class: archived images
 * cannot be pulled by tag or digest, stay intact for forensics, and `release` restores them.
 * The ECRClient is injected (one per Lambda container), configured with ecrClientConfig() so
 * throttled calls are retried by the SDK.
 */
export class EcrRegistry implements Registry, SignatureReader, ReferrerLookup {
  readonly kind: RegistryKind = "ecr";
  private readonly client: ECRClient;
  private scanner: EcrScanner;

  constructor(client: ECRClient, opts: EcrRegistryOptions = {}) {
    this.client = client;
    this.scanner = opts.scanner ?? "basic";
  }

  async resolveImage(ref: ImageRef): Promise<ResolvedImage | null> {
    assertEcr(ref, "DescribeImages");
    const detail = await describeEcrImage(this.client, ref);
    if (!detail) return null;
    const quarantined = isUnpullable(imageStatusOf(detail));
    const fetched = await fetchEcrManifest(this.client, ref);

    if (!fetched.found) {
      if (fetched.repositoryMissing) return null;
      // ECR serves no manifest for an archived (or still-restoring) image: a pull fails as if the
      // image did not exist. We cannot recompute its digest, so we rely on DescribeImages having
      // matched this exact digest. That is safe because nothing is decided on it: the pipeline
      // leaves a quarantined image alone, and a released image is re-verified on its next event.
      if (quarantined) return resolved(ref, detail, true);
      // Deleted between the two calls.
      if (fetched.failure?.failureCode === "ImageNotFound") return null;
      const f = fetched.failure;
      throw new EcrRegistryError(
        "ECR_MANIFEST_UNAVAILABLE",
        "BatchGetImage",
        ref,
        f
          ? `${f.failureCode ?? "failure"}: ${f.failureReason ?? "no reason given"}`
          : "no manifest returned",
      );
    }

    const computed = manifestDigest(fetched.manifest);
    if (computed !== ref.digest) throw new DigestMismatchError(ref, computed);
    return resolved(ref, detail, quarantined, fetched.mediaType);
  }

  /**
   * The image's cosign signatures. IAM: ecr:BatchGetImage (ListImageReferrers needs it too) and
   * ecr:GetDownloadUrlForLayer on the repository.
   */
  async readSignatures(ref: ImageRef): Promise<SignedImageSignatures> {
    assertEcr(ref, "ReadSignatures");
    return new EcrSignatureSource(this.client).read(ref);
  }

  /**
   * The subject of a pushed signature referrer (bundle, Notation), read from its manifest, so a
   * signature that ECR reports by its own digest only verifies its image at once. Null for any
   * other referrer. IAM: ecr:BatchGetImage.
   */
  async referrerOf(ref: ImageRef): Promise<ReferrerInfo | null> {
    assertEcr(ref, "BatchGetImage");
    return ecrReferrerOf(this.client, ref);
  }

  async getScanResult(ref: ImageRef): Promise<ScanResult> {
    assertEcr(ref, "DescribeImageScanFindings");
    const { scan, observed } = await readEcrScanFindings(this.client, ref, this.scanner);
    if (observed) this.scanner = observed;
    return scan;
  }

  async quarantine(ref: ImageRef): Promise<{ alreadyQuarantined: boolean }> {
    assertEcr(ref, "UpdateImageStorageClass");
    const change = await transitionStorageClass(this.client, ref, "ARCHIVE");
    return { alreadyQuarantined: !change.changed };
  }

  /** A restore already under way counts as quarantined-and-being-released (wasQuarantined). */
  async release(ref: ImageRef): Promise<{ wasQuarantined: boolean }> {
    assertEcr(ref, "UpdateImageStorageClass");
    const change = await transitionStorageClass(this.client, ref, "STANDARD");
    return { wasQuarantined: change.before !== "ACTIVE" };
  }
}

function resolved(
  ref: ImageRef,
  detail: ImageDetail,
  quarantined: boolean,
  mediaType?: string,
): ResolvedImage {
  const type = mediaType ?? detail.imageManifestMediaType;
  return {
    ref: { ...ref, tags: [...new Set(detail.imageTags ?? [])].sort() },
    quarantined,
    ...(type ? { mediaType: type } : {}),
    ...(detail.imagePushedAt ? { pushedAt: detail.imagePushedAt.toISOString() } : {}),
    ...(detail.imageSizeInBytes !== undefined ? { sizeBytes: detail.imageSizeInBytes } : {}),
  };
}

function assertEcr(ref: ImageRef, operation: string): void {
  if (ref.registry !== "ecr") {
    throw new EcrRegistryError(
      "ECR_WRONG_REGISTRY",
      operation,
      ref,
      `the image belongs to a ${ref.registry} registry, not ECR; route it to the ${ref.registry} adapter`,
    );
  }
}
