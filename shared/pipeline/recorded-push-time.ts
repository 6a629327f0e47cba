import type { ImageRef } from "../domain/image.ts";
import { imageKey } from "../domain/image.ts";
import type { AuditLog } from "../ports.ts";

/**
 * When the image was first pushed, as its push notification said: the `pushedAt` of the
 * earliest `event-received` record of an `image-pushed` event on its chain. An OCI registry has
 * no push-time API, so this is the only push time there is; the scan-timeout sweep reads the
 * same records. Undefined when no push was recorded (the notification was lost or is late).
 */
export async function recordedPushTime(
  audit: AuditLog,
  image: ImageRef,
): Promise<string | undefined> {
  let earliest: { at: number; iso: string } | undefined;
  for (const r of await audit.byImage(imageKey(image))) {
    if (r.action !== "event-received" || r.eventType !== "image-pushed") continue;
    const iso = r.detail?.pushedAt;
    if (typeof iso !== "string") continue;
    const at = Date.parse(iso);
    if (Number.isNaN(at)) continue;
    if (!earliest || at < earliest.at) earliest = { at, iso };
  }
  return earliest?.iso;
}
