import { DescribeImagesCommand, type ECRClient, type ImageDetail } from "@aws-sdk/client-ecr";
import type { ImageRef } from "../../domain/image.ts";
import { ecrRequestFailed, isAwsError } from "./ecr-errors.ts";

export { type EcrImageStatus, imageStatusOf, isUnpullable } from "./ecr-image-status.ts";

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
