import { createHash } from "node:crypto";
import { canonicalJson } from "./audit-canonical-json.ts";
import type { AuditRecord } from "./audit-record.ts";

/**
 * sha256 (hex) over `prevHash + "\n" + canonicalJson(record without hash)`. A `hash` field on
 * the argument is ignored, so a stored record can be passed as it is. prevHash is also inside
 * the body; it leads the input so the link is the first thing hashed.
 */
export function hashRecord(
  prevHash: string,
  record: Omit<AuditRecord, "hash"> & { hash?: unknown },
): string {
  const { hash: _ignored, ...body } = record;
  return createHash("sha256")
    .update(`${prevHash}\n${canonicalJson(body)}`)
    .digest("hex");
}
