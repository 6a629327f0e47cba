import { DescribeImagesCommand, type ECRClient, type ImageDetail } from "@aws-sdk/client-ecr";
import type { ImageRef } from "../../domain/image.ts";
import { ecrRequestFailed, isAwsError } from "./ecr-errors.ts";

/** ECR's image status: ACTIVE, ARCHIVED, or ACTIVATING (being restored from the archive). */
export type EcrImageStatus = "ACTIVE" | "ARCHIVED" | "ACTIVATING";

/**
 * Archived and still-restoring images cannot be pulled by tag or by digest: for registry-guard
 * that is what "quarantined" means on ECR.
 */
export function isUnpullable(status: EcrImageStatus): boolean {
  return status === "ARCHIVED" || status === "ACTIVATING";
}

export function imageStatusOf(detail: ImageDetail): EcrImageStatus {
  const s = detail.imageStatus;
  return s === "ARCHIVED" || s === "ACTIVATING" ? s : "ACTIVE";
}

/**
 * The image's DescribeImages entry, whatever its storage class; null when the image or its
 * repository does not exist. Without `imageStatus: ANY` DescribeImages returns ACTIVE images only,
 * and an archived (quarantined) image would look deleted.
 */
export async function describeEcrImage(
  client: ECRClient,
  ref: ImageRef,
): Promise<ImageDetail | null> {
  try {
    const out = await client.send(
      new DescribeImagesCommand({
        registryId: ref.registryId,
        repositoryName: ref.repository,
        imageIds: [{ imageDigest: ref.digest }],
        filter: { imageStatus: "ANY" },
      }),
    );
    return out.imageDetails?.find((d) => d.imageDigest === ref.digest) ?? null;
  } catch (err) {
    if (isAwsError(err, "ImageNotFoundException", "RepositoryNotFoundException")) return null;
    throw ecrRequestFailed("DescribeImages", ref, err);
  }
}
