import type { ImageDetail } from "@aws-sdk/client-ecr";

/** ECR's image status: ACTIVE, ARCHIVED, or ACTIVATING (being restored from the archive). */
export type EcrImageStatus = "ACTIVE" | "ARCHIVED" | "ACTIVATING";

/**
 * Archived and still-restoring images cannot be pulled by tag or by digest: for registry-guard
 * that is what "quarantined" means on ECR. (A type-only SDK import: the offline planner reads
 * describe-images output through this file without loading the ECR client.)
 */
export function isUnpullable(status: EcrImageStatus): boolean {
  return status === "ARCHIVED" || status === "ACTIVATING";
}

export function imageStatusOf(detail: ImageDetail): EcrImageStatus {
  const s = detail.imageStatus;
  return s === "ARCHIVED" || s === "ACTIVATING" ? s : "ACTIVE";
}
