import * as z from "zod";
import type { ScanTimeoutCheck } from "../domain/registry-event.ts";
import {
  awsRegion,
  digest,
  eventId,
  imageTag,
  isEcrRepositoryName,
  isOciRepositoryName,
  isoTime,
} from "./field-schemas.ts";
import { validateEvent } from "./validate-event.ts";

/** Our own event: the scan-timeout sweep asks for an image to be decided again. */
export const SCAN_TIMEOUT_CHECK = {
  source: "registry-guard",
  detailType: "Scan Timeout Check",
} as const;

const OCI_HOST_RE = /^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252}[A-Za-z0-9])?(?::\d{1,5})?$/;

const detail = z
  .object({
    registry: z.enum(["ecr", "oci"]),
    registryId: z.string().min(1).max(260),
    region: awsRegion.optional(),
    repository: z.string(),
    digest,
    tags: z.array(imageTag).max(1000),
    pushedAt: isoTime,
  })
  .superRefine((d, ctx) => {
    // The id and repository rules depend on which kind of registry the image lives in.
    if (d.registry === "ecr" ? !/^\d{12}$/.test(d.registryId) : !OCI_HOST_RE.test(d.registryId)) {
      ctx.addIssue({
        code: "custom",
        path: ["registryId"],
        message:
          d.registry === "ecr"
            ? "must be a 12-digit AWS account id"
            : "must be a registry host[:port]",
        input: d.registryId,
      });
    }
    if (!(d.registry === "ecr" ? isEcrRepositoryName : isOciRepositoryName)(d.repository)) {
      ctx.addIssue({
        code: "custom",
        path: ["repository"],
        message: `must be ${d.registry === "ecr" ? "an ECR" : "an OCI"} repository name`,
        params: { code: "EVENT_INVALID_REPOSITORY" },
        input: d.repository,
      });
    }
  });

const schema = z.object({
  id: eventId,
  time: isoTime,
  source: z.literal(SCAN_TIMEOUT_CHECK.source),
  "detail-type": z.literal(SCAN_TIMEOUT_CHECK.detailType),
  detail,
});

/** The raw shape, for whoever emits the event. */
export type ScanTimeoutCheckEvent = z.input<typeof schema>;

export function parseScanTimeoutCheck(raw: unknown): ScanTimeoutCheck {
  const e = validateEvent(schema, raw, SCAN_TIMEOUT_CHECK.detailType);
  const d = e.detail;
  return {
    kind: "scan-timeout-check",
    eventId: e.id,
    time: e.time,
    source: "registry-guard",
    image: {
      registry: d.registry,
      registryId: d.registryId,
      ...(d.region ? { region: d.region } : {}),
      repository: d.repository,
      digest: d.digest,
      tags: d.tags,
    },
    pushedAt: d.pushedAt,
  };
}
