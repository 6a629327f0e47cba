import {
  type ECRClient,
  type ImageReferrer,
  ListImageReferrersCommand,
  type ListImageReferrersCommandOutput,
} from "@aws-sdk/client-ecr";
import { EcrRegistryError, ecrRequestFailed } from "../../adapters/ecr/ecr-errors.ts";
import { type EcrImageTarget, named } from "./ecr-manifests.ts";

/** The API's largest page: fewer calls against ECR's request quota. */
const PAGE_SIZE = 50;
/** Pages followed at most (10 000 referrers): a token that never ends is ECR's fault, not ours. */
const MAX_PAGES = 200;

/**
 * Every ACTIVE referrer of the image (ListImageReferrers, all pages). Archived referrers are left
 * out as ECR does by default: they cannot be pulled, so they cannot be verified either. The call
 * needs `ecr:BatchGetImage` on the repository.
 */
export async function listEcrReferrers(
  client: ECRClient,
  image: EcrImageTarget,
): Promise<ImageReferrer[]> {
  const out: ImageReferrer[] = [];
  let nextToken: string | undefined;
  for (let page = 0; ; page++) {
    if (page >= MAX_PAGES) {
      throw new EcrRegistryError(
        "ECR_REQUEST_FAILED",
        "ListImageReferrers",
        named(image),
        `more than ${MAX_PAGES} pages of referrers; ECR kept handing out a nextToken`,
      );
    }
    let res: ListImageReferrersCommandOutput;
    try {
      res = await client.send(
        new ListImageReferrersCommand({
          ...(image.registryId !== undefined ? { registryId: image.registryId } : {}),
          repositoryName: image.repository,
          subjectId: { imageDigest: image.digest },
          maxResults: PAGE_SIZE,
          ...(nextToken !== undefined ? { nextToken } : {}),
        }),
      );
    } catch (err) {
      throw ecrRequestFailed("ListImageReferrers", named(image), err);
    }
    out.push(...(res.referrers ?? []));
    nextToken = res.nextToken;
    if (!nextToken) return out;
  }
}
