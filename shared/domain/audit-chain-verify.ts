import { hashRecord } from "./audit-hash.ts";
import type { AuditRecord } from "./audit-record.ts";

/**
 * Checks one image's chain. Four kinds of tampering are reported:
 *
 * - RECORD_EDITED: a record's hash does not match its content, or the head pointer remembers a
 *   different hash for that seq (the record was rewritten and its hash recomputed).
 * - CHAIN_BROKEN: a record's prevHash is not its predecessor's hash (or seq/imageKey are wrong).
 * - RECORD_MISSING: a gap in seq that TTL cannot explain.
 * - TAIL_MISSING: the head pointer is ahead of the last record: the newest records were deleted.
 *
 * Gaps and DynamoDB TTL. TTL deletes a record some time after its expiresAt, in no particular
 * order. Records of one chain are written in time order with one table-wide retention, so
 * expiresAt grows with seq and a missing record expires no earlier than the record before it.
 * A gap is therefore tolerated only when its records could have expired:
 *
 * - middle gap after record j: only if j.expiresAt <= now (the missing ones are newer than j);
 * - trailing gap (head ahead): only if head.expiresAt <= now (the head stores the expiry of the
 *   record it points at, i.e. the newest missing one);
 * - leading gap (first present seq > 1, reported as `truncated`): only if record 1 had expired:
 *   head.firstExpiresAt <= now. When the head does not know record 1's expiry (it was lost or
 *   written before record 1 was seen) a leading gap cannot be judged and is accepted as
 *   truncation. In every case the first present record must still claim a predecessor
 *   (non-empty prevHash).
 *
 * A head behind the chain is normal: the record put and the head update are two writes (no
 * transactions), so a crash between them leaves the head one or more records behind until the
 * next append moves it. Only a head ahead of the chain means records were removed.
 */

export type ChainIssueCode = "RECORD_EDITED" | "CHAIN_BROKEN" | "RECORD_MISSING" | "TAIL_MISSING";

export interface ChainIssue {
  code: ChainIssueCode;
  imageKey: string;
  /** The record concerned; for a gap, its first missing seq. */
  seq: number;
  message: string;
}

/** Inclusive range of seq numbers. */
export interface SeqRange {
  from: number;
  to: number;
}

/** The per-image pointer the store keeps next to the chain. */
export interface ChainHead {
  /** Highest seq whose write completed. */
  seq: number;
  /** That record's hash. */
  hash: string;
  /** That record's expiresAt (epoch seconds). */
  expiresAt?: number;
  /** expiresAt of record 1, when known. */
  firstExpiresAt?: number;
}

export interface ChainReport {
  imageKey: string;
  /** No issues. Truncation and expired gaps are not issues. */
  ok: boolean;
  /** Records present and checked. */
  records: number;
  firstSeq: number | null;
  lastSeq: number | null;
  headSeq: number | null;
  /** Leading records gone in a way consistent with TTL expiry. */
  truncated: SeqRange | null;
  /** Other gaps (middle or tail) consistent with TTL expiry. */
  expiredGaps: SeqRange[];
  issues: ChainIssue[];
}

export interface VerifyOptions {
  /** Defaults to the first record's imageKey. */
  imageKey?: string;
  head?: ChainHead | null;
}

export function verifyChain(
  records: readonly AuditRecord[],
  now: Date,
  opts: VerifyOptions = {},
): ChainReport {
  const imageKey = opts.imageKey ?? records[0]?.imageKey ?? "";
  const head = opts.head ?? null;
  const nowSec = Math.floor(now.getTime() / 1000);
  const sorted = [...records].sort((a, b) => a.seq - b.seq);
  const issues: ChainIssue[] = [];
  const expiredGaps: SeqRange[] = [];
  let truncated: SeqRange | null = null;
  const issue = (code: ChainIssueCode, seq: number, message: string) =>
    issues.push({ code, imageKey, seq, message });
  const range = (r: SeqRange) =>
    r.from === r.to ? `record ${r.from} is` : `records ${r.from}-${r.to} are`;
  const expired = (epochSeconds: number | undefined) =>
    epochSeconds !== undefined && epochSeconds <= nowSec;

  for (const [i, record] of sorted.entries()) {
    const { seq } = record;
    if (record.imageKey !== imageKey) {
      issue("CHAIN_BROKEN", seq, `record ${seq} belongs to image ${record.imageKey}`);
    }
    if (hashRecord(record.prevHash, record) !== record.hash) {
      issue("RECORD_EDITED", seq, `record ${seq} does not match its hash: it was modified`);
    }
    const prev = i > 0 ? sorted[i - 1] : undefined;
    if (!prev) {
      if (seq === 1) {
        if (record.prevHash !== "") issue("CHAIN_BROKEN", 1, "record 1 claims a predecessor");
        continue;
      }
      if (record.prevHash === "") {
        issue("CHAIN_BROKEN", seq, `record ${seq} claims to start the chain`);
      }
      const gap = { from: 1, to: seq - 1 };
      if (head?.firstExpiresAt === undefined || expired(head.firstExpiresAt)) truncated = gap;
      else {
        issue(
          "RECORD_MISSING",
          1,
          `${range(gap)} missing, but record 1 expires only at ${iso(head.firstExpiresAt)}`,
        );
      }
      continue;
    }
    if (seq === prev.seq) {
      issue("CHAIN_BROKEN", seq, `two records claim seq ${seq}`);
    } else if (seq === prev.seq + 1) {
      if (record.prevHash !== prev.hash) {
        issue("CHAIN_BROKEN", seq, `record ${seq} does not link to record ${prev.seq}`);
      }
    } else {
      const gap = { from: prev.seq + 1, to: seq - 1 };
      if (expired(prev.expiresAt)) expiredGaps.push(gap);
      else {
        issue(
          "RECORD_MISSING",
          gap.from,
          `${range(gap)} missing; none could have expired before ${iso(prev.expiresAt)}`,
        );
      }
    }
  }

  const last = sorted.at(-1);
  if (head) {
    const lastSeq = last?.seq ?? 0;
    if (head.seq > lastSeq) {
      const gap = { from: lastSeq + 1, to: head.seq };
      if (expired(head.expiresAt ?? last?.expiresAt)) expiredGaps.push(gap);
      else {
        issue(
          "TAIL_MISSING",
          gap.from,
          `${range(gap)} missing: the head points at record ${head.seq}`,
        );
      }
    } else {
      const pointed = sorted.find((r) => r.seq === head.seq);
      if (pointed && pointed.hash !== head.hash) {
        issue(
          "RECORD_EDITED",
          head.seq,
          `record ${head.seq} was rewritten: its hash differs from the one the head recorded`,
        );
      }
    }
  }

  return {
    imageKey,
    ok: issues.length === 0,
    records: sorted.length,
    firstSeq: sorted[0]?.seq ?? null,
    lastSeq: last?.seq ?? null,
    headSeq: head?.seq ?? null,
    truncated,
    expiredGaps,
    issues,
  };
}

function iso(epochSeconds: number | undefined): string {
  return epochSeconds === undefined
    ? "an unknown time"
    : new Date(epochSeconds * 1000).toISOString();
}
