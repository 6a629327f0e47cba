import * as z from "zod";
import type {
  IgnoredEvent,
  ImageDeleted,
  ImagePushed,
  ReferrerPushed,
} from "../domain/registry-event.ts";
import {
  baseMediaType,
  isManifestMediaType,
  mediaTypeField,
  ociTag,
  tagsOf,
} from "./distribution-fields.ts";
import { digest, eventId, isoTime, ociRepositoryName } from "./field-schemas.ts";
import { ignored, quoteShort } from "./ignored-event.ts";
import { subjectDigestFromTag } from "./referrer-subject.ts";

export const DISTRIBUTION_SOURCE = "distribution";

/** Used as the event type in errors. */
export const DISTRIBUTION_EVENT_TYPE = "distribution notification";

/** Enough to decide whether the event is one we act on; the target's fields are only peeked at. */
export const distributionHead = z.object({
  id: eventId,
  action: z.string().min(1).max(64),
  target: z.object({
    mediaType: mediaTypeField.optional(),
    digest: z.unknown().optional(),
    tag: z.unknown().optional(),
  }),
});

const actor = z.object({ name: z.string().max(256).optional() }).optional();

/** A manifest push: the registry sets mediaType, digest, repository (and tag when pushed by tag). */
export const distributionPush = z.object({
  id: eventId,
  timestamp: isoTime,
  target: z.object({
    mediaType: mediaTypeField,
    digest,
    repository: ociRepositoryName,
    tag: z.union([z.literal(""), ociTag]).optional(),
  }),
  actor,
});

/** A delete by digest carries only the digest and the repository. */
export const distributionDelete = z.object({
  id: eventId,
  timestamp: isoTime,
  target: z.object({ digest, repository: ociRepositoryName }),
  actor,
});

export type DistributionDecision =
  | { kind: "push" }
  | { kind: "delete" }
  | { kind: "ignore"; reason: string };

type Head = z.output<typeof distributionHead>;

/**
 * What one notification means to us, from its action and target alone. Only manifests matter:
 * blob pushes, mounts and deletes, pulls, tag deletes and repository deletes are ignored.
 * A delete by digest carries no media type, so a manifest delete and a blob delete look alike
 * (see docs/webhooks.md): it is taken as a manifest delete, which the pipeline only records.
 */
export function decideDistribution(head: Head): DistributionDecision {
  const { action, target } = head;
  const mediaType = target.mediaType;
  switch (action) {
    case "push":
      if (mediaType === undefined) {
        return ignore("push of content without a media type (a blob, not a manifest)");
      }
      if (!isManifestMediaType(mediaType)) {
        return ignore(`push of a blob (${quoteShort(baseMediaType(mediaType))}), not a manifest`);
      }
      return { kind: "push" };
    case "delete":
      if (target.digest === undefined) {
        return ignore(
          target.tag === undefined
            ? "repository deleted: no digest named, nothing to record per image"
            : "tag deleted: the manifest it pointed to stays",
        );
      }
      if (mediaType !== undefined && !isManifestMediaType(mediaType)) {
        return ignore(`delete of a blob (${quoteShort(baseMediaType(mediaType))}), not a manifest`);
      }
      return { kind: "delete" };
    case "pull":
      return ignore("pulls are not acted on");
    case "mount":
      return ignore("blob mounts are not acted on");
    default:
      return ignore(`action ${quoteShort(action)} is not a push or delete`);
  }
}

function ignore(reason: string): DistributionDecision {
  return { kind: "ignore", reason: `distribution ${reason}` };
}

export function ignoredDistribution(head: Head, reason: string): IgnoredEvent {
  return ignored(head.id, DISTRIBUTION_SOURCE, reason);
}

/**
 * A manifest push. A cosign-style tag (`sha256-<hex>.sig`, `.att`, `.sbom`) makes it a referrer
 * of the image it names: this registry has no referrers API, so clients use that tag schema.
 */
export function normalizeDistributionPush(
  e: z.output<typeof distributionPush>,
  registryHost: string,
): ImagePushed | ReferrerPushed {
  const tags = tagsOf(e.target.tag);
  const base = {
    eventId: e.id,
    time: e.timestamp,
    source: DISTRIBUTION_SOURCE,
    ...principalOf(e.actor),
    image: {
      registry: "oci" as const,
      registryId: registryHost,
      repository: e.target.repository,
      digest: e.target.digest,
      tags,
    },
  };
  const subjectDigest = subjectDigestFromTag(tags[0]);
  if (subjectDigest) return { kind: "referrer-pushed", ...base, subjectDigest };
  return { kind: "image-pushed", ...base, mediaType: e.target.mediaType };
}

export function normalizeDistributionDelete(
  e: z.output<typeof distributionDelete>,
  registryHost: string,
): ImageDeleted {
  return {
    kind: "image-deleted",
    eventId: e.id,
    time: e.timestamp,
    source: DISTRIBUTION_SOURCE,
    ...principalOf(e.actor),
    image: {
      registry: "oci",
      registryId: registryHost,
      repository: e.target.repository,
      digest: e.target.digest,
      tags: [],
    },
  };
}

/** The actor is `{}` for anonymous requests. */
function principalOf(a: { name?: string | undefined } | undefined): { principal?: string } {
  return a?.name ? { principal: a.name } : {};
}
