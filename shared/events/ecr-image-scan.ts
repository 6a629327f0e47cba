import * as z from "zod";
import type { ScanCompleted } from "../domain/registry-event.ts";
import { awsEvent, digest, ecrRepositoryName, imageTag, severityCounts } from "./field-schemas.ts";
import { validateEvent } from "./validate-event.ts";

export const ECR_IMAGE_SCAN = { source: "aws.ecr", detailType: "ECR Image Scan" } as const;

const schema = awsEvent(
  ECR_IMAGE_SCAN.source,
  ECR_IMAGE_SCAN.detailType,
  z.object({
    "scan-status": z.string().min(1).max(64),
    "repository-name": ecrRepositoryName,
    "image-digest": digest,
    "image-tags": z.array(imageTag).max(1000).optional(),
    // Only severities with findings are present; a failed scan may carry none at all.
    "finding-severity-counts": severityCounts.optional(),
  }),
);

/** A basic (ECR-native) scan finished, COMPLETE or FAILED: the status is passed on as reported. */
export function parseEcrImageScan(raw: unknown): ScanCompleted {
  const e = validateEvent(schema, raw, ECR_IMAGE_SCAN.detailType);
  const counts = e.detail["finding-severity-counts"];
  return {
    kind: "scan-completed",
    eventId: e.id,
    time: e.time,
    source: "ecr",
    image: {
      registry: "ecr",
      registryId: e.account,
      region: e.region,
      repository: e.detail["repository-name"],
      digest: e.detail["image-digest"],
      tags: e.detail["image-tags"] ?? [],
    },
    scanType: "basic",
    status: e.detail["scan-status"],
    ...(counts ? { reportedCounts: counts } : {}),
  };
}
