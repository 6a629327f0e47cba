import { DescribeImagesCommand, type ECRClient, type ImageDetail } from "@aws-sdk/client-ecr";
import type { Artifact, RepositoryInventory } from "../../domain/retention-inventory.ts";
import type { Log } from "../../ports.ts";
import { isAwsError } from "./ecr-errors.ts";
import {
  artifactOfImageDetail,
  isIndexMediaType,
  mergeArtifacts,
} from "./ecr-image-detail-artifact.ts";
import { type ManifestRead, readManifestLinks } from "./ecr-manifest-links.ts";
import { ecrRetentionRequestFailed, PageTokens } from "./ecr-retention-errors.ts";

const OPERATION = "DescribeImages";
/** The API's maximum page size. */
export const IMAGES_PAGE_SIZE = 1000;

export interface EcrInventoryOptions {
  registryId: string;
  region: string;
  /** BatchGetImage calls in flight at once. */
  concurrency: number;
  log?: Log;
}

/**
 * Every manifest of an ECR repository with what retention needs to place it.
 *
 * Cost, per 1,000 manifests: one DescribeImages page (maxResults 1000, `imageStatus: ANY` so
 * archived — quarantined — images are listed), then BatchGetImage (100 per call) only for
 *   1. image indexes, whose children no other call reveals, then
 *   2. untagged non-image artifacts that no index lists and whose subject DescribeImages did not
 *      report (subjectManifestDigest): the possible referrers ECR said nothing about.
 * A single-arch repository costs 1 call per 1,000 manifests; a multi-arch one 1 + ⌈indexes/100⌉;
 * the ceiling is 11. Untagged images are not read: ECR reports referrers' subjects itself, and
 * every BatchGetImage counts as a pull (it moves lastRecordedPullTime), so reading what retention
 * may collect would make it look freshly pulled and keep it forever. Run retention under a role
 * registered with RegisterPullTimeUpdateExclusion so that reading indexes does not either.
 *
 * A manifest that had to be read and could not be (an archived index ECR does not serve, a
 * failure) leaves `manifestsKnown` false: the planner then keeps what it cannot place.
 */
export async function readEcrInventory(
  client: ECRClient,
  repository: string,
  opts: EcrInventoryOptions,
): Promise<RepositoryInventory> {
  const target = { registryId: opts.registryId, repository };
  const details = await describeAllImages(client, target);
  const byDigest = new Map<string, Artifact>();
  for (const detail of details) {
    const artifact = artifactOfImageDetail(detail);
    if (!artifact) {
      opts.log?.warn("retention: skipped an ECR image without a sha256 digest", {
        repository,
        digest: detail.imageDigest,
      });
      continue;
    }
    const seen = byDigest.get(artifact.digest);
    byDigest.set(artifact.digest, seen ? mergeArtifacts(seen, artifact) : artifact);
  }
  const artifacts = [...byDigest.values()].sort((a, b) => (a.digest < b.digest ? -1 : 1));

  let known = true;
  const apply = (reads: Map<string, ManifestRead>) => {
    for (const [digest, read] of reads) {
      const artifact = byDigest.get(digest);
      if (!artifact) continue;
      if (!read.ok) {
        known = false;
        opts.log?.warn("retention: could not read a manifest; unplaced manifests will be kept", {
          repository,
          digest,
          code: read.code,
          reason: read.reason,
        });
        continue;
      }
      if (read.links.children) artifact.children = read.links.children;
      if (read.links.subject) artifact.subject = read.links.subject;
      if (read.links.artifactType) artifact.artifactType = read.links.artifactType;
    }
  };

  const indexes = artifacts.filter((a) => isIndexMediaType(a.mediaType)).map((a) => a.digest);
  apply(await readManifestLinks(client, target, indexes, opts.concurrency));

  const listed = new Set(artifacts.flatMap((a) => a.children ?? []));
  const possibleReferrers = artifacts
    .filter(
      (a) =>
        a.artifactType !== undefined &&
        a.tags.length === 0 &&
        a.subject === undefined &&
        !a.quarantined &&
        !listed.has(a.digest),
    )
    .map((a) => a.digest);
  apply(await readManifestLinks(client, target, possibleReferrers, opts.concurrency));

  return {
    registry: "ecr",
    registryId: opts.registryId,
    region: opts.region,
    repository,
    artifacts,
    manifestsKnown: known,
    pullTimesKnown: true,
  };
}

/** All DescribeImages pages; an empty list when the repository is gone. */
async function describeAllImages(
  client: ECRClient,
  target: { registryId: string; repository: string },
): Promise<ImageDetail[]> {
  const tokens = new PageTokens(OPERATION, target);
  const all: ImageDetail[] = [];
  let nextToken: string | undefined;
  do {
    let page: { imageDetails?: ImageDetail[]; nextToken?: string };
    try {
      page = await client.send(
        new DescribeImagesCommand({
          registryId: target.registryId,
          repositoryName: target.repository,
          maxResults: IMAGES_PAGE_SIZE,
          // Without ANY, archived (quarantined) images are not listed at all.
          filter: { imageStatus: "ANY" },
          ...(nextToken ? { nextToken } : {}),
        }),
      );
    } catch (err) {
      // Deleted between listing and inventory: it holds nothing to keep or delete.
      if (!nextToken && isAwsError(err, "RepositoryNotFoundException")) return [];
      throw ecrRetentionRequestFailed(OPERATION, target, err);
    }
    if (page.imageDetails) all.push(...page.imageDetails);
    nextToken = tokens.next(page.nextToken);
  } while (nextToken);
  return all;
}
