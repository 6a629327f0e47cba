import { type ECRClient, UpdateImageStorageClassCommand } from "@aws-sdk/client-ecr";
import type { ImageRef } from "../../domain/image.ts";
import { describeEcrImage, type EcrImageStatus, imageStatusOf } from "./ecr-describe-image.ts";
import { EcrRegistryError, ecrRequestFailed, isAwsError } from "./ecr-errors.ts";

const OPERATION = "UpdateImageStorageClass";

export type TargetStorageClass = "ARCHIVE" | "STANDARD";

/** Where an image stands after a transition we asked for, and where it stood before. */
export interface StorageClassChange {
  before: EcrImageStatus;
  /** False when the image already was where we wanted it (nothing was sent). */
  changed: boolean;
}

/** The image statuses that already satisfy a target: no call is needed. */
const SATISFIED: Record<TargetStorageClass, EcrImageStatus[]> = {
  ARCHIVE: ["ARCHIVED"],
  // A restore under way cannot be sped up; asking again would only be refused.
  STANDARD: ["ACTIVE", "ACTIVATING"],
};

/**
 * Moves an image to a storage class, idempotently. The current status is read first
 * (DescribeImages) because the API documents no outcome for a no-op transition; a refusal
 * (ImageStorageClassUpdateNotSupportedException) is re-checked once, since a concurrent run of
 * the same decision may have done the work in between.
 */
export async function transitionStorageClass(
  client: ECRClient,
  ref: ImageRef,
  target: TargetStorageClass,
): Promise<StorageClassChange> {
  const before = await currentStatus(client, ref);
  if (SATISFIED[target].includes(before)) return { before, changed: false };
  try {
    await client.send(
      new UpdateImageStorageClassCommand({
        registryId: ref.registryId,
        repositoryName: ref.repository,
        imageId: { imageDigest: ref.digest },
        targetStorageClass: target,
      }),
    );
    return { before, changed: true };
  } catch (err) {
    if (isAwsError(err, "ImageNotFoundException", "RepositoryNotFoundException")) {
      throw notFound(ref, err);
    }
    if (!isAwsError(err, "ImageStorageClassUpdateNotSupportedException")) {
      throw ecrRequestFailed(OPERATION, ref, err);
    }
    const now = await currentStatus(client, ref);
    if (SATISFIED[target].includes(now)) return { before, changed: false };
    const why =
      now === "ACTIVATING"
        ? "the image is being restored from the archive; retry once the restore completes (up to 20 minutes)"
        : `ECR refused to move the image from ${now} to ${target}: ${(err as Error).message}`;
    throw new EcrRegistryError("ECR_STORAGE_CLASS_REJECTED", OPERATION, ref, why, {
      cause: err,
      awsError: (err as Error).name,
    });
  }
}

async function currentStatus(client: ECRClient, ref: ImageRef): Promise<EcrImageStatus> {
  const detail = await describeEcrImage(client, ref);
  if (!detail) throw notFound(ref);
  return imageStatusOf(detail);
}

function notFound(ref: ImageRef, cause?: unknown): EcrRegistryError {
  return new EcrRegistryError(
    "ECR_IMAGE_NOT_FOUND",
    OPERATION,
    ref,
    "the image does not exist (deleted, or wrong repository or digest)",
    cause === undefined ? {} : { cause, awsError: (cause as Error).name },
  );
}
