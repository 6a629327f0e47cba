import type { ImageDetail } from "@aws-sdk/client-ecr";
import type { Artifact } from "../../domain/retention-inventory.ts";
import { imageStatusOf, isUnpullable } from "./ecr-image-status.ts";

export const SHA256_DIGEST = /^sha256:[a-f0-9]{64}$/;

const INDEX_MEDIA_TYPES = new Set([
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
]);

/**
 * Config media types of runnable images. ECR reports the config media type (or the manifest's
 * artifactType) as artifactMediaType; anything else (a signature, an SBOM, a Helm chart …) is an
 * artifact that may be a referrer.
 */
const IMAGE_CONFIG_MEDIA_TYPES = new Set([
  "application/vnd.oci.image.config.v1+json",
  "application/vnd.docker.container.image.v1+json",
]);

export function isIndexMediaType(mediaType: string | undefined): boolean {
  return mediaType !== undefined && INDEX_MEDIA_TYPES.has(mediaType);
}

/** The artifact type worth reporting: undefined for plain images (and indexes). */
export function nonImageArtifactType(type: string | undefined): string | undefined {
  return type && !IMAGE_CONFIG_MEDIA_TYPES.has(type) ? type : undefined;
}

/**
 * One DescribeImages record as the planner sees it; undefined when it names no sha256 digest.
 * Quarantine is ECR's archive (ARCHIVED, or ACTIVATING while a release restores it), so an image
 * archived by someone else (a lifecycle rule) is kept as quarantined too: the safe reading.
 * DescribeImages reports a referrer's subject (subjectManifestDigest) without a manifest read.
 */
export function artifactOfImageDetail(detail: ImageDetail): Artifact | undefined {
  const digest = detail.imageDigest;
  if (!digest || !SHA256_DIGEST.test(digest)) return undefined;
  const quarantined = isUnpullable(imageStatusOf(detail));
  const mediaType = detail.imageManifestMediaType;
  const artifactType = isIndexMediaType(mediaType)
    ? undefined
    : nonImageArtifactType(detail.artifactMediaType);
  const subject = detail.subjectManifestDigest;
  return {
    digest,
    tags: [...new Set(detail.imageTags ?? [])].sort(),
    ...(detail.imagePushedAt ? { pushedAt: detail.imagePushedAt.toISOString() } : {}),
    // ECR records pulls: no time means never pulled (or not since ECR began recording).
    lastPulledAt: detail.lastRecordedPullTime ? detail.lastRecordedPullTime.toISOString() : null,
    ...(detail.imageSizeInBytes !== undefined ? { sizeBytes: detail.imageSizeInBytes } : {}),
    ...(mediaType ? { mediaType } : {}),
    ...(artifactType ? { artifactType } : {}),
    ...(subject && SHA256_DIGEST.test(subject) ? { subject } : {}),
    ...(quarantined ? { quarantined: true } : {}),
    ...(quarantined && detail.lastArchivedAt
      ? { quarantinedAt: detail.lastArchivedAt.toISOString() }
      : {}),
  };
}

/**
 * Folds a second record of the same digest into the first (a digest listed twice across pages or
 * files): tags unioned, the latest pull kept, other fields filled in where the first lacked them.
 */
export function mergeArtifacts(into: Artifact, other: Artifact): Artifact {
  const merged: Artifact = { ...other, ...definedOnly(into) };
  merged.tags = [...new Set([...into.tags, ...other.tags])].sort();
  const pulls = [into.lastPulledAt, other.lastPulledAt].filter((t): t is string => !!t).sort();
  merged.lastPulledAt = pulls.at(-1) ?? null;
  return merged;
}

function definedOnly(a: Artifact): Partial<Artifact> {
  return Object.fromEntries(Object.entries(a).filter(([, v]) => v !== undefined));
}
