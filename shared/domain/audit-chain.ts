import { canonicalJson } from "./audit-canonical-json.ts";
import { hashRecord } from "./audit-hash.ts";
import type { AuditRecord, AuditRecordInput } from "./audit-record.ts";

/**
 * The audit trail is one hash chain per image: record n carries the hash of record n-1, and its
 * own hash covers every other field. Editing a record breaks its hash; deleting one breaks the
 * link or leaves a gap in seq. Verification lives in audit-chain-verify.ts.
 *
 * Threat model: this detects edits and deletions by someone who does not rebuild the chain. An
 * actor able to rewrite every later record (and the head pointer) can forge a consistent chain;
 * anchoring head hashes outside the table (a signed export, another account) is the remedy.
 */

export { canonicalJson } from "./audit-canonical-json.ts";
export type {
  ChainHead,
  ChainIssue,
  ChainIssueCode,
  ChainReport,
  SeqRange,
} from "./audit-chain-verify.ts";
export { verifyChain } from "./audit-chain-verify.ts";
export { hashRecord } from "./audit-hash.ts";

export class AuditChainError extends Error {
  readonly code = "AUDIT_CHAIN_INPUT_INVALID";

  constructor(message: string) {
    super(message);
    this.name = "AuditChainError";
  }
}

/** What a new record needs from its predecessor. */
export type ChainLink = Pick<AuditRecord, "imageKey" | "seq" | "hash">;

const SECONDS_PER_DAY = 86_400;

/**
 * The next record of `input.imageKey`'s chain. The result is normalized through canonical JSON
 * (undefined fields dropped, Dates as strings), so what is stored is exactly what was hashed.
 */
export function buildRecord(
  input: AuditRecordInput,
  prev: ChainLink | null,
  now: Date,
  retentionDays: number,
): AuditRecord {
  if (!input.imageKey) throw new AuditChainError("audit record input has no imageKey");
  if (!input.eventId)
    throw new AuditChainError(`audit record for ${input.imageKey} has no eventId`);
  if (Number.isNaN(now.getTime())) throw new AuditChainError("the clock returned an invalid date");
  if (!(Number.isFinite(retentionDays) && retentionDays > 0)) {
    throw new AuditChainError(`retentionDays must be a positive number, got ${retentionDays}`);
  }
  if (prev) {
    if (prev.imageKey !== input.imageKey) {
      throw new AuditChainError(
        `cannot chain a record of ${input.imageKey} after a record of ${prev.imageKey}`,
      );
    }
    if (!Number.isInteger(prev.seq) || prev.seq < 1) {
      throw new AuditChainError(`previous record of ${input.imageKey} has invalid seq ${prev.seq}`);
    }
  }
  const draft = {
    ...input,
    seq: prev ? prev.seq + 1 : 1,
    prevHash: prev ? prev.hash : "",
    recordedAt: now.toISOString(),
    expiresAt: Math.floor(now.getTime() / 1000) + Math.round(retentionDays * SECONDS_PER_DAY),
  };
  const body = JSON.parse(canonicalJson(draft)) as Omit<AuditRecord, "hash">;
  return { ...body, hash: hashRecord(body.prevHash, body) };
}
