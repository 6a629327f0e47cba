import {
  BatchGetImageCommand,
  type BatchGetImageCommandOutput,
  type ECRClient,
  type ImageIdentifier,
} from "@aws-sdk/client-ecr";
import {
  DigestMismatchError,
  EcrRegistryError,
  ecrRequestFailed,
  isAwsError,
} from "../../adapters/ecr/ecr-errors.ts";
import { ACCEPTED_MANIFEST_MEDIA_TYPES, manifestDigest } from "../../adapters/ecr/ecr-manifest.ts";

/** The image being verified, as the ECR calls name it; registryId absent: the caller's account. */
export interface EcrImageTarget {
  registryId?: string;
  repository: string;
  digest: string;
}

/** The target as ECR errors name it. */
export function named(image: EcrImageTarget): {
  registryId: string;
  repository: string;
  digest: string;
} {
  return { ...image, registryId: image.registryId ?? "of the caller's account" };
}

/** BatchGetImage takes at most 100 image ids per call. */
const BATCH_SIZE = 100;

/**
 * The manifests named by `ids` (digests or tags), exactly as pushed, in the order asked: null
 * where ECR has no such image. A manifest asked for by digest must hash to it, else
 * DigestMismatchError. Any other failure (KMS, an upstream of a pull-through cache) throws: a
 * signature that could not be read must not pass for one that is absent.
 *
 * BatchGetImage counts as a pull: ECR updates the image's lastRecordedPullTime, which lifecycle
 * rules and retention read. A deployment should register the verifying role with
 * RegisterPullTimeUpdateExclusion so verification does not keep images looking in use.
 */
export async function getEcrManifests(
  client: ECRClient,
  image: EcrImageTarget,
  ids: readonly ImageIdentifier[],
): Promise<(Buffer | null)[]> {
  const out: (Buffer | null)[] = [];
  for (let i = 0; i < ids.length; i += BATCH_SIZE) {
    out.push(...(await getBatch(client, image, ids.slice(i, i + BATCH_SIZE))));
  }
  return out;
}

async function getBatch(
  client: ECRClient,
  image: EcrImageTarget,
  ids: readonly ImageIdentifier[],
): Promise<(Buffer | null)[]> {
  let res: BatchGetImageCommandOutput;
  try {
    res = await client.send(
      new BatchGetImageCommand({
        ...(image.registryId !== undefined ? { registryId: image.registryId } : {}),
        repositoryName: image.repository,
        imageIds: ids.map((id) => ({ ...id })),
        acceptedMediaTypes: [...ACCEPTED_MANIFEST_MEDIA_TYPES],
      }),
    );
  } catch (err) {
    if (isAwsError(err, "RepositoryNotFoundException")) {
      throw new EcrRegistryError(
        "ECR_IMAGE_NOT_FOUND",
        "BatchGetImage",
        named(image),
        `no repository ${image.repository} in this registry`,
        { cause: err, awsError: "RepositoryNotFoundException" },
      );
    }
    throw ecrRequestFailed("BatchGetImage", named(image), err);
  }
  return ids.map((id) => {
    const found = (res.images ?? []).find(
      (i) =>
        i.imageManifest !== undefined &&
        (id.imageTag !== undefined
          ? i.imageId?.imageTag === id.imageTag
          : i.imageId?.imageDigest === id.imageDigest),
    );
    if (found?.imageManifest !== undefined) {
      const bytes = Buffer.from(found.imageManifest, "utf8");
      if (id.imageDigest !== undefined) {
        const computed = manifestDigest(found.imageManifest);
        if (computed !== id.imageDigest) {
          throw new DigestMismatchError(
            { repository: image.repository, digest: id.imageDigest },
            computed,
          );
        }
      }
      return bytes;
    }
    const failure = (res.failures ?? []).find((f) =>
      id.imageTag !== undefined
        ? f.imageId?.imageTag === id.imageTag
        : f.imageId?.imageDigest === id.imageDigest,
    );
    if (failure?.failureCode === "ImageNotFound") return null;
    throw new EcrRegistryError(
      "ECR_MANIFEST_UNAVAILABLE",
      "BatchGetImage",
      named(image),
      `${id.imageTag !== undefined ? `tag ${id.imageTag}` : id.imageDigest}: ${
        failure
          ? `${failure.failureCode ?? "failure"}: ${failure.failureReason ?? "no reason given"}`
          : "ECR returned neither the manifest nor a failure"
      }`,
    );
  });
}
