import { BatchGetImageCommand, type ECRClient, type ImageFailure } from "@aws-sdk/client-ecr";
import type { ImageRef } from "../../domain/image.ts";
import { ecrRequestFailed, isAwsError } from "./ecr-errors.ts";
import { ACCEPTED_MANIFEST_MEDIA_TYPES } from "./ecr-manifest.ts";

export type FetchedManifest =
  | { found: true; manifest: string; mediaType?: string }
  | { found: false; failure?: ImageFailure; repositoryMissing?: boolean };

/**
 * The manifest exactly as pushed, addressed by digest. BatchGetImage reports a missing or
 * unreadable image in `failures[]` rather than throwing; a missing repository throws.
 */
export async function fetchEcrManifest(client: ECRClient, ref: ImageRef): Promise<FetchedManifest> {
  try {
    const out = await client.send(
      new BatchGetImageCommand({
        registryId: ref.registryId,
        repositoryName: ref.repository,
        imageIds: [{ imageDigest: ref.digest }],
        acceptedMediaTypes: [...ACCEPTED_MANIFEST_MEDIA_TYPES],
      }),
    );
    const image = out.images?.find((i) => i.imageManifest !== undefined);
    if (image?.imageManifest !== undefined) {
      return {
        found: true,
        manifest: image.imageManifest,
        ...(image.imageManifestMediaType ? { mediaType: image.imageManifestMediaType } : {}),
      };
    }
    const failure = out.failures?.[0];
    return failure ? { found: false, failure } : { found: false };
  } catch (err) {
    if (isAwsError(err, "RepositoryNotFoundException"))
      return { found: false, repositoryMissing: true };
    throw ecrRequestFailed("BatchGetImage", ref, err);
  }
}
