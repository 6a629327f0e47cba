import type { Alert } from "../ports.ts";
import { clip, imageJson, imageLines, printable } from "./alert-format.ts";
import { ALERT_SCHEMA_VERSION, NO_SEVERITY } from "./alert-message.ts";
import { formatSubject } from "./alert-subject.ts";
import type { ImageRef } from "./image.ts";
import { imageKey } from "./image.ts";

/** SNS `eventType` attribute of a signature failure, for filter policies. */
export const SIGNATURE_FAILED_EVENT_TYPE = "signature-failed";

/** Reasons listed per alert; the count is always exact. */
const MAX_REASONS = 20;

export interface SignatureAlertInput {
  image: ImageRef;
  action: "quarantined" | "alerted";
  eventId: string;
  policyVersion: string;
  /** When the grace period for a signature ended. */
  deadline: string;
  /** Why no signature verified, one line per signature tried (or "no signatures found"). */
  reasons: readonly string[];
}

/**
 * The alert for an image without a trusted signature once its grace period ended. Same
 * envelope as the gate's alerts (subject under 100 characters, text, JSON, attributes); the
 * reasons are clipped so the message stays far below the SNS limit.
 */
export function buildSignatureAlert(input: SignatureAlertInput): Alert {
  const { image } = input;
  const reasons = input.reasons.slice(0, MAX_REASONS).map((r) => clip(printable(r), 500));
  const omitted = input.reasons.length - reasons.length;
  const head = input.action === "quarantined" ? "UNSIGNED quarantined" : "UNSIGNED";
  const text = [
    `No signature from a trusted key or identity verified this image by ${input.deadline}.`,
    input.action === "quarantined"
      ? "The image was quarantined (policy: signatures.onFail: quarantine)."
      : "Nothing was blocked (policy: signatures.onFail: alert).",
    "",
    ...imageLines(image),
    "",
    "Signatures tried:",
    ...reasons.map((r) => `  - ${r}`),
    ...(omitted > 0 ? [`  … and ${omitted} more`] : []),
    "",
    `Event ${input.eventId}, policy ${input.policyVersion}.`,
  ].join("\n");
  return {
    subject: formatSubject(head, image.repository, image.digest, [
      `${input.reasons.length} reason(s)`,
    ]),
    text,
    json: {
      schemaVersion: ALERT_SCHEMA_VERSION,
      eventType: SIGNATURE_FAILED_EVENT_TYPE,
      eventId: clip(input.eventId, 256),
      policyVersion: input.policyVersion,
      action: input.action,
      image: imageJson(image, imageKey(image)),
      verdict: "fail",
      deadline: input.deadline,
      reasonCount: input.reasons.length,
      reasons,
    },
    attributes: {
      eventType: SIGNATURE_FAILED_EVENT_TYPE,
      severity: NO_SEVERITY,
      repository: image.repository,
      verdict: "fail",
    },
  };
}
