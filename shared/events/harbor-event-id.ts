import { createHash } from "node:crypto";

/** What makes one Harbor notification about one artifact distinct from another. */
export interface HarborEventKey {
  /** Harbor's event type (PUSH_ARTIFACT …), the same name in both payload formats. */
  type: string;
  /** `occur_at`: epoch seconds. */
  occurAt: number;
  repository?: string;
  digest?: string;
  tag?: string;
}

/**
 * A deterministic event id, `harbor-<sha256 hex>`, the idempotency key of a Harbor event.
 *
 * The Default format carries no id at all. The CloudEvents format does, but it is a UUID drawn
 * each time Harbor formats a notification for one webhook policy: the same push seen through two
 * policies (or one Default and one CloudEvents endpoint) arrives under two ids. Harbor's
 * jobservice re-sends the body it stored, so its retries repeat the same content, and the same
 * content gives the same id here, in either format. The tag is part of the key: a digest pushed
 * under two tags in the same second is two events. The price: two truly separate events with
 * the same type, second, repository, digest and tag collapse into one, which for a push, delete
 * or scan result of the same artifact is what deduplication should do anyway.
 */
export function harborEventId(key: HarborEventKey): string {
  const material = JSON.stringify([
    key.type,
    key.occurAt,
    key.repository ?? "",
    key.digest ?? "",
    key.tag ?? "",
  ]);
  return `harbor-${createHash("sha256").update(material).digest("hex")}`;
}
