import type { IgnoredEvent, ImageDeleted, ImagePushed } from "../domain/registry-event.ts";
import { ecrActionSchemas } from "./field-schemas.ts";
import { ignored, quoteShort } from "./ignored-event.ts";
import { validateEvent } from "./validate-event.ts";

export const ECR_IMAGE_ACTION = { source: "aws.ecr", detailType: "ECR Image Action" } as const;

const { source, detailType } = ECR_IMAGE_ACTION;

const { head, full } = ecrActionSchemas(source, detailType);

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
