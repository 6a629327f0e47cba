import * as z from "zod";
import type { IgnoredEvent, ImageDeleted, ImagePushed } from "../domain/registry-event.ts";
import { awsEvent, digest, ecrRepositoryName, mediaType } from "./field-schemas.ts";
import { ignored, quoteShort } from "./ignored-event.ts";
import { validateEvent } from "./validate-event.ts";

export const ECR_IMAGE_ACTION = { source: "aws.ecr", detailType: "ECR Image Action" } as const;

const { source, detailType } = ECR_IMAGE_ACTION;

/** Enough to decide whether the event is one we act on. */
const head = awsEvent(
  source,
  detailType,
  z.object({ result: z.string().min(1).max(64), "action-type": z.string().min(1).max(64) }),
);

const full = awsEvent(
  source,
  detailType,
  z.object({
    "repository-name": ecrRepositoryName,
    "image-digest": digest,
    // Absent (or empty) when the image was pushed or deleted by digest.
    "image-tag": z.string().max(300).optional(),
    "manifest-media-type": mediaType.optional(),
    "artifact-media-type": mediaType.optional(),
  }),
);

/**
 * ECR's push/delete notification. PUSH and DELETE with result SUCCESS become image-pushed and
 * image-deleted; a FAILURE, and the UPDATE_STORAGE_CLASS events that archiving (our quarantine)
 * and restoring cause, are ignored with the reason.
 */
export function parseEcrImageAction(raw: unknown): ImagePushed | ImageDeleted | IgnoredEvent {
  const h = validateEvent(head, raw, detailType);
  const action = h.detail["action-type"];
  if (h.detail.result !== "SUCCESS") {
    return ignored(
      h.id,
      "ecr",
      `ECR ${quoteShort(action)} action reported result ${quoteShort(h.detail.result)}`,
    );
  }
  if (action !== "PUSH" && action !== "DELETE") {
    return ignored(
      h.id,
      "ecr",
      `ECR image action-type ${quoteShort(action)} is not a push or delete`,
    );
  }
  const e = validateEvent(full, raw, detailType);
  const tag = e.detail["image-tag"];
  const image = {
    registry: "ecr" as const,
    registryId: e.account,
    region: e.region,
    repository: e.detail["repository-name"],
    digest: e.detail["image-digest"],
    tags: tag ? [tag] : [],
  };
  const base = { eventId: e.id, time: e.time, source: "ecr", image };
  if (action === "DELETE") return { kind: "image-deleted", ...base };
  const mt = e.detail["manifest-media-type"];
  return { kind: "image-pushed", ...base, ...(mt ? { mediaType: mt } : {}) };
}
