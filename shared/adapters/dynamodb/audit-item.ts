import type { ChainHead, ChainIssue } from "../../domain/audit-chain.ts";
import type { AuditRecord } from "../../domain/audit-record.ts";
import { AUDIT_TABLE } from "./audit-table.ts";

/** How records and head pointers are laid out as DynamoDB items (see audit-table.ts). */

export const HEAD_SK = "HEAD";
export const SEQ_PREFIX = "SEQ#";
const IMAGE_PREFIX = "IMG#";
const { byRepository, byEventType } = AUDIT_TABLE.indexes;

export type Item = Record<string, unknown>;

export function imagePk(imageKey: string): string {
  return `${IMAGE_PREFIX}${imageKey}`;
}

/** The imageKey of a partition key, or null for an item that is not ours. */
export function imageKeyOfPk(pk: unknown): string | null {
  return typeof pk === "string" && pk.startsWith(IMAGE_PREFIX)
    ? pk.slice(IMAGE_PREFIX.length)
    : null;
}

/** 10 digits: ascending string order is ascending seq up to 9,999,999,999 records per image. */
export function seqSk(seq: number): string {
  return `${SEQ_PREFIX}${String(seq).padStart(10, "0")}`;
}

/** Index sort key: time first for range queries, then image and seq to keep it unique. */
export function timeSk(record: Pick<AuditRecord, "recordedAt" | "imageKey" | "seq">): string {
  return `${record.recordedAt}#${record.imageKey}#${String(record.seq).padStart(10, "0")}`;
}

function storageKeys(record: AuditRecord): Record<string, string> {
  return {
    [AUDIT_TABLE.partitionKey]: imagePk(record.imageKey),
    [AUDIT_TABLE.sortKey]: seqSk(record.seq),
    [byRepository.partitionKey]: record.repositoryKey,
    [byRepository.sortKey]: timeSk(record),
    [byEventType.partitionKey]: record.eventType,
    [byEventType.sortKey]: timeSk(record),
  };
}

const STORAGE_ATTRIBUTES = Object.keys(
  storageKeys({
    imageKey: "",
    seq: 0,
    recordedAt: "",
    repositoryKey: "",
    eventType: "",
  } as AuditRecord),
);

export function recordToItem(record: AuditRecord): Item {
  return { ...record, ...storageKeys(record) };
}

/**
 * The record in an item: everything but the storage attributes. Unknown attributes stay in, so
 * one added behind our back fails the record's hash.
 */
export function itemToRecord(item: Item): AuditRecord {
  const record: Item = { ...item };
  for (const name of STORAGE_ATTRIBUTES) delete record[name];
  return record as unknown as AuditRecord;
}

export function isRecordItem(item: Item): boolean {
  const sk = item[AUDIT_TABLE.sortKey];
  return typeof sk === "string" && sk.startsWith(SEQ_PREFIX);
}

export function isHeadItem(item: Item): boolean {
  return item[AUDIT_TABLE.sortKey] === HEAD_SK;
}

/** The head pointer in a head item; null when its seq or hash is unusable. */
export function itemToHead(item: Item): ChainHead | null {
  const { seq, hash, expiresAt, firstExpiresAt } = item;
  if (typeof seq !== "number" || !Number.isInteger(seq) || typeof hash !== "string") return null;
  return {
    seq,
    hash,
    ...(typeof expiresAt === "number" ? { expiresAt } : {}),
    ...(typeof firstExpiresAt === "number" ? { firstExpiresAt } : {}),
  };
}

/**
 * Storage keys are derived from the record and outside its hash: one changed on its own would
 * move a record out of its chain or out of the index queries without breaking any hash.
 */
export function storageKeyIssues(item: Item, record: AuditRecord): ChainIssue[] {
  const expected = storageKeys(record);
  const wrong = Object.entries(expected)
    .filter(([name, value]) => item[name] !== value)
    .map(([name]) => name);
  if (wrong.length === 0) return [];
  const imageKey = imageKeyOfPk(item[AUDIT_TABLE.partitionKey]) ?? record.imageKey;
  return [
    {
      code: "RECORD_EDITED",
      imageKey,
      seq: record.seq,
      message: `record ${record.seq}: storage attributes ${wrong.join(", ")} do not match its content`,
    },
  ];
}
