import type {
  IgnoredEvent,
  ImageDeleted,
  ImagePushed,
  ReferrerPushed,
  RegistryEvent,
  ScanCompleted,
} from "../domain/registry-event.ts";
import { assertRegistryHost, requireJsonObject, tagsOf } from "./distribution-fields.ts";
import { harborEventId } from "./harbor-event-id.ts";
import {
  HARBOR_SOURCE,
  type HarborHead,
  type HarborResource,
  readHarborData,
  readHarborHead,
  readHarborScanType,
} from "./harbor-payload.ts";
import { harborReportedCounts } from "./harbor-scan-overview.ts";
import { ignored, quoteShort } from "./ignored-event.ts";
import { subjectDigestFromTag } from "./referrer-subject.ts";

/** The Harbor event types we act on; every other type Harbor sends is ignored. */
export const HARBOR_ACTED_TYPES = [
  "PUSH_ARTIFACT",
  "DELETE_ARTIFACT",
  "SCANNING_COMPLETED",
  "SCANNING_FAILED",
] as const;
type ActedType = (typeof HARBOR_ACTED_TYPES)[number];

function isActed(type: string): type is ActedType {
  return (HARBOR_ACTED_TYPES as readonly string[]).includes(type);
}

export interface HarborOptions {
  /** Harbor's host[:port] as we are configured with it: the image's registryId. */
  registryHost: string;
}

/**
 * A Harbor webhook body, Default or CloudEvents format (told apart by `specversion`) → one
 * normalized event per resource. PUSH_ARTIFACT → image-pushed (referrer-pushed for a cosign-style
 * tag), DELETE_ARTIFACT → image-deleted, SCANNING_COMPLETED / SCANNING_FAILED → scan-completed
 * with status COMPLETE / FAILED. Other types, and SBOM generation (a SCANNING_COMPLETED whose scan
 * type is "sbom"), give one IgnoredEvent. Event ids are derived (harbor-event-id.ts); the
 * registry is the configured host, never the host in `resource_url`.
 */
export function parseHarborWebhook(
  body: unknown,
  opts: HarborOptions,
): (RegistryEvent | IgnoredEvent)[] {
  assertRegistryHost(opts.registryHost);
  requireJsonObject(body, "Harbor webhook");
  const head = readHarborHead(body);
  const type = head.type;
  if (!isActed(type)) {
    return [ignoredHarbor(head, `Harbor ${quoteShort(type)} events are not acted on`)];
  }
  if (type === "SCANNING_COMPLETED" && readHarborScanType(body, head) === "sbom") {
    return [
      ignoredHarbor(head, "Harbor SBOM generation finished: not a vulnerability scan result"),
    ];
  }
  const data = readHarborData(body, head);
  const repository = data.repository.repo_full_name;
  return data.resources.map((res) =>
    normalize(type, head, res, {
      registry: "oci",
      registryId: opts.registryHost,
      repository,
      digest: res.digest,
      tags: tagsOf(res.tag),
    }),
  );
}

type OciImage = ImagePushed["image"];

function normalize(
  type: ActedType,
  head: HarborHead,
  res: HarborResource,
  image: OciImage,
): ImagePushed | ReferrerPushed | ImageDeleted | ScanCompleted {
  const base = {
    eventId: harborEventId({
      type,
      occurAt: head.occurAt,
      repository: image.repository,
      digest: image.digest,
      tag: res.tag ?? "",
    }),
    time: head.time,
    source: HARBOR_SOURCE,
    // Harbor's operator: a user, a robot account, or a system actor such as "auto".
    ...(head.operator ? { principal: head.operator } : {}),
    image,
  };
  switch (type) {
    case "PUSH_ARTIFACT": {
      const subjectDigest = subjectDigestFromTag(image.tags[0]);
      if (subjectDigest) return { kind: "referrer-pushed", ...base, subjectDigest };
      return { kind: "image-pushed", ...base };
    }
    case "DELETE_ARTIFACT":
      return { kind: "image-deleted", ...base };
    case "SCANNING_COMPLETED": {
      const counts = harborReportedCounts(res);
      return {
        kind: "scan-completed",
        ...base,
        scanType: "basic",
        status: "COMPLETE",
        ...(counts ? { reportedCounts: counts } : {}),
      };
    }
    case "SCANNING_FAILED":
      return { kind: "scan-completed", ...base, scanType: "basic", status: "FAILED" };
  }
}

function ignoredHarbor(head: HarborHead, reason: string): IgnoredEvent {
  return ignored(harborEventId({ type: head.type, occurAt: head.occurAt }), HARBOR_SOURCE, reason);
}
