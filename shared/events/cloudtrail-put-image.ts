import * as z from "zod";
import type { IgnoredEvent, PushRecorded } from "../domain/registry-event.ts";
import {
  awsAccountId,
  awsEvent,
  awsRegion,
  digest,
  ecrRepositoryName,
  imageTag,
} from "./field-schemas.ts";
import { ignored, quoteShort } from "./ignored-event.ts";
import { validateEvent } from "./validate-event.ts";

export const CLOUDTRAIL_ECR_API_CALL = {
  source: "aws.ecr",
  detailType: "AWS API Call via CloudTrail",
} as const;

const { source, detailType } = CLOUDTRAIL_ECR_API_CALL;

const head = awsEvent(
  source,
  detailType,
  z.object({ eventName: z.string().min(1).max(128), errorCode: z.string().max(256).optional() }),
);

// requestParameters.imageManifest can be large: it is neither read nor ever echoed.
const full = awsEvent(
  source,
  detailType,
  z.object({
    awsRegion: awsRegion.optional(),
    userIdentity: z
      .object({
        arn: z.string().min(1).max(2048).optional(),
        invokedBy: z.string().max(256).optional(),
      })
      .optional(),
    sourceIPAddress: z.string().max(256).optional(),
    userAgent: z.string().optional(),
    requestParameters: z.object({
      repositoryName: ecrRepositoryName,
      registryId: awsAccountId.optional(),
      imageTag: imageTag.optional(),
    }),
    responseElements: z.object({
      image: z.object({
        registryId: awsAccountId.optional(),
        imageId: z.object({ imageDigest: digest, imageTag: imageTag.optional() }),
      }),
    }),
  }),
);

const MAX_USER_AGENT = 512;

/**
 * CloudTrail's record of an ECR PutImage call: who pushed (principal = userIdentity.arn, or the
 * service that invoked it), from where. A failed call (errorCode) and other ECR API calls are
 * ignored.
 */
export function parseCloudTrailPutImage(raw: unknown): PushRecorded | IgnoredEvent {
  const h = validateEvent(head, raw, detailType);
  if (h.detail.eventName !== "PutImage") {
    return ignored(
      h.id,
      "cloudtrail",
      `CloudTrail ECR call ${quoteShort(h.detail.eventName)} is not PutImage`,
    );
  }
  if (h.detail.errorCode) {
    return ignored(h.id, "cloudtrail", `PutImage failed with ${quoteShort(h.detail.errorCode)}`);
  }
  const e = validateEvent(full, raw, detailType);
  const d = e.detail;
  const image = d.responseElements.image;
  const tag = image.imageId.imageTag ?? d.requestParameters.imageTag;
  const principal = d.userIdentity?.arn ?? d.userIdentity?.invokedBy;
  const userAgent = d.userAgent?.slice(0, MAX_USER_AGENT);
  return {
    kind: "push-recorded",
    eventId: e.id,
    time: e.time,
    source: "cloudtrail",
    ...(principal ? { principal } : {}),
    image: {
      registry: "ecr",
      registryId: d.requestParameters.registryId ?? image.registryId ?? e.account,
      region: d.awsRegion ?? e.region,
      repository: d.requestParameters.repositoryName,
      digest: image.imageId.imageDigest,
      tags: tag ? [tag] : [],
    },
    ...(d.sourceIPAddress ? { sourceIp: d.sourceIPAddress } : {}),
    ...(userAgent ? { userAgent } : {}),
  };
}
