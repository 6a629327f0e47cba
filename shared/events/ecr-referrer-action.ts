import type { IgnoredEvent, ReferrerPushed } from "../domain/registry-event.ts";
import { ecrActionSchemas } from "./field-schemas.ts";
import { ignored, quoteShort } from "./ignored-event.ts";
import { subjectDigestFromTag } from "./referrer-subject.ts";
import { validateEvent } from "./validate-event.ts";

export const ECR_REFERRER_ACTION = {
  source: "aws.ecr",
  detailType: "ECR Referrer Action",
} as const;

const { source, detailType } = ECR_REFERRER_ACTION;

const { head, full } = ecrActionSchemas(source, detailType);

/**
 * ECR's action on a referrer (signature, attestation, SBOM). AWS documents this event with the
 * same detail as ECR Image Action: the digest is the referrer's own, and no subject digest is
 * carried. A PUSH becomes referrer-pushed; its subject is known without fetching anything only
 * from a cosign-style tag (`sha256-<hex>.sig`), otherwise `subjectDigest` is left out and the
 * referrer is recorded on its own chain (its subject is read from the manifest when signatures
 * are verified). Storage-class changes and deletes are ignored.
 */
export function parseEcrReferrerAction(raw: unknown): ReferrerPushed | IgnoredEvent {
  const h = validateEvent(head, raw, detailType);
  const action = h.detail["action-type"];
  if (h.detail.result !== "SUCCESS") {
    return ignored(
      h.id,
      "ecr",
      `ECR referrer ${quoteShort(action)} reported result ${quoteShort(h.detail.result)}`,
    );
  }
  if (action !== "PUSH") {
    return ignored(h.id, "ecr", `ECR referrer action-type ${quoteShort(action)} is not a push`);
  }
  const e = validateEvent(full, raw, detailType);
  const tag = e.detail["image-tag"];
  const subjectDigest = subjectDigestFromTag(tag);
  const artifactType = e.detail["artifact-media-type"];
  return {
    kind: "referrer-pushed",
    eventId: e.id,
    time: e.time,
    source: "ecr",
    image: {
      registry: "ecr",
      registryId: e.account,
      region: e.region,
      repository: e.detail["repository-name"],
      digest: e.detail["image-digest"],
      tags: tag ? [tag] : [],
    },
    ...(subjectDigest ? { subjectDigest } : {}),
    ...(artifactType ? { artifactType } : {}),
  };
}
