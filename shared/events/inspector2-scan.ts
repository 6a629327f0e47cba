import * as z from "zod";
import type { IgnoredEvent, ScanCompleted } from "../domain/registry-event.ts";
import { parseEcrRepositoryArn } from "./ecr-repository-arn.ts";
import { awsEvent, digest, eventId, imageTag, isoTime, severityCounts } from "./field-schemas.ts";
import { ignored } from "./ignored-event.ts";
import { validateEvent } from "./validate-event.ts";

export const INSPECTOR2_SCAN = { source: "aws.inspector2", detailType: "Inspector2 Scan" } as const;
export const INSPECTOR2_FINDING = {
  source: "aws.inspector2",
  detailType: "Inspector2 Finding",
} as const;

const repositoryArn = z.string().refine((s) => parseEcrRepositoryArn(s) !== null, {
  error: "must be an ECR repository ARN arn:aws:ecr:<region>:<12-digit account>:repository/<name>",
  params: { code: "EVENT_INVALID_REPOSITORY" },
});

/** Inspector sends this event for EC2 instances, Lambda functions and AMIs too. */
const head = awsEvent(
  INSPECTOR2_SCAN.source,
  INSPECTOR2_SCAN.detailType,
  z.object({ "repository-name": z.unknown().optional(), "image-digest": z.unknown().optional() }),
);

const full = awsEvent(
  INSPECTOR2_SCAN.source,
  INSPECTOR2_SCAN.detailType,
  z.object({
    "scan-status": z.string().min(1).max(64),
    "repository-name": repositoryArn,
    "image-digest": digest,
    "image-tags": z.array(imageTag).max(1000).optional(),
    "finding-severity-counts": severityCounts.optional(),
  }),
);

/**
 * Enhanced scanning's initial scan of an ECR image finished. `repository-name` is the
 * repository's ARN: the registry, region and name all come from it. The counts' TOTAL is dropped
 * (it is not a severity).
 */
export function parseInspector2Scan(raw: unknown): ScanCompleted | IgnoredEvent {
  const h = validateEvent(head, raw, INSPECTOR2_SCAN.detailType);
  if (h.detail["repository-name"] === undefined && h.detail["image-digest"] === undefined) {
    return ignored(h.id, "inspector2", "Inspector2 Scan of a resource that is not an ECR image");
  }
  const e = validateEvent(full, raw, INSPECTOR2_SCAN.detailType);
  // Validated above, so the ARN parses.
  const arn = parseEcrRepositoryArn(e.detail["repository-name"]) as NonNullable<
    ReturnType<typeof parseEcrRepositoryArn>
  >;
  const counts = e.detail["finding-severity-counts"];
  const reported = counts
    ? Object.fromEntries(Object.entries(counts).filter(([k]) => k !== "TOTAL"))
    : undefined;
  return {
    kind: "scan-completed",
    eventId: e.id,
    time: e.time,
    source: "inspector2",
    image: {
      registry: "ecr",
      registryId: arn.registryId,
      region: arn.region,
      repository: arn.repository,
      digest: e.detail["image-digest"],
      tags: e.detail["image-tags"] ?? [],
    },
    scanType: "enhanced",
    status: e.detail["scan-status"],
    ...(reported ? { reportedCounts: reported } : {}),
  };
}

const findingSchema = z.object({
  id: eventId,
  time: isoTime,
  source: z.literal(INSPECTOR2_FINDING.source),
  "detail-type": z.literal(INSPECTOR2_FINDING.detailType),
});

/** One finding created, updated or closed: not acted on, all findings are read on completion. */
export function parseInspector2Finding(raw: unknown): IgnoredEvent {
  const e = validateEvent(findingSchema, raw, INSPECTOR2_FINDING.detailType);
  return ignored(
    e.id,
    "inspector2",
    "Inspector2 Finding events are not acted on: every finding is read from ECR when the scan completes",
  );
}
