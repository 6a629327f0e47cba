import {
  type DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  ScanCommand,
  type ScanCommandInput,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import {
  buildRecord,
  type ChainHead,
  type ChainLink,
  type ChainReport,
  verifyChain,
} from "../../domain/audit-chain.ts";
import type { AuditAction, AuditRecord, AuditRecordInput } from "../../domain/audit-record.ts";
import type { AppendResult, AuditLog, AuditQuery, Clock } from "../../ports.ts";
import {
  HEAD_SK,
  type Item,
  imageKeyOfPk,
  imagePk,
  isHeadItem,
  isRecordItem,
  itemToHead,
  itemToRecord,
  recordToItem,
  SEQ_PREFIX,
  storageKeyIssues,
} from "./audit-item.ts";
import { AUDIT_TABLE, type AuditIndexName } from "./audit-table.ts";
import {
  AuditAppendConflictError,
  AuditQueryError,
  AuditStoreConfigError,
  AuditStoreError,
} from "./dynamodb-audit-errors.ts";

export interface DynamoDbAuditLogOptions {
  /**
   * A document client with default unmarshalling (numbers as JS numbers): a record must read
   * back exactly as it was hashed.
   */
  client: DynamoDBDocumentClient;
  tableName: string;
  clock: Clock;
  retentionDays: number;
  /** Attempts per append when concurrent writers take the same seq. Default 10. */
  maxAttempts?: number;
  /** Images verified in parallel by verifyAll. Default 8. */
  verifyConcurrency?: number;
}

/** One image's partition: its records (ascending seq), the head pointer and the raw items. */
interface ImagePartition {
  records: AuditRecord[];
  recordItems: Item[];
  head: ChainHead | null;
  headItem: Item | null;
}

const { partitionKey: PK, sortKey: SK } = AUDIT_TABLE;

/**
 * The audit trail in DynamoDB: one hash chain per image (see audit-chain.ts), appended with
 * conditional puts and no transactions.
 *
 * Append = read the image's partition, dedupe on (eventId, action), put seq n+1 only if that
 * item does not exist yet, then move the head pointer forward. A lost race (the put's condition
 * fails) means another writer took seq n+1: re-read and try again, since the winner may even
 * have written this very event.
 *
 * The head is a second write, conditioned on moving forward only. A crash between the two
 * writes leaves the head behind the chain; verify tolerates that and the next append (or a
 * redelivered duplicate) moves it on. A head ahead of the chain cannot come from a crash: the
 * head is written only after its record, so it means the newest records were deleted.
 */
export class DynamoDbAuditLog implements AuditLog {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly clock: Clock;
  private readonly retentionDays: number;
  private readonly maxAttempts: number;
  private readonly verifyConcurrency: number;

  constructor(opts: DynamoDbAuditLogOptions) {
    if (!opts.tableName) throw new AuditStoreConfigError("the audit table name is empty");
    if (!(Number.isFinite(opts.retentionDays) && opts.retentionDays > 0)) {
      throw new AuditStoreConfigError(
        `audit retentionDays must be a positive number of days, got ${opts.retentionDays}`,
      );
    }
    this.client = opts.client;
    this.tableName = opts.tableName;
    this.clock = opts.clock;
    this.retentionDays = opts.retentionDays;
    this.maxAttempts = Math.max(1, opts.maxAttempts ?? 10);
    this.verifyConcurrency = Math.max(1, opts.verifyConcurrency ?? 8);
  }

  async append(input: AuditRecordInput): Promise<AppendResult> {
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      const { records, head } = await this.readImage(input.imageKey);
      const existing = records.find(
        (r) => r.eventId === input.eventId && r.action === input.action,
      );
      const last = records.at(-1);
      if (existing) {
        // A redelivery after a crash between put and head update: catch the head up now.
        if (last && last.seq > (head?.seq ?? 0)) await this.advanceHead(last, records);
        return { record: existing, duplicate: true };
      }
      const record = buildRecord(
        input,
        chainTip(input.imageKey, last, head),
        this.clock(),
        this.retentionDays,
      );
      if (await this.putRecord(record)) {
        await this.advanceHead(record, records);
        return { record, duplicate: false };
      }
      await backoff(attempt);
    }
    throw new AuditAppendConflictError(this.tableName, input.imageKey, this.maxAttempts);
  }

  async find(imageKey: string, eventId: string, action: AuditAction): Promise<AuditRecord | null> {
    const items = await this.queryAll("Query", {
      KeyConditionExpression: "#pk = :pk AND begins_with(#sk, :seq)",
      FilterExpression: "#eventId = :eventId AND #action = :action",
      ExpressionAttributeNames: {
        "#pk": PK,
        "#sk": SK,
        "#eventId": "eventId",
        "#action": "action",
      },
      ExpressionAttributeValues: {
        ":pk": imagePk(imageKey),
        ":seq": SEQ_PREFIX,
        ":eventId": eventId,
        ":action": action,
      },
      ConsistentRead: true,
    });
    const item = items[0];
    return item ? itemToRecord(item) : null;
  }

  async byImage(imageKey: string): Promise<AuditRecord[]> {
    return (await this.readImage(imageKey)).records;
  }

  async byRepository(repositoryKey: string, q: AuditQuery): Promise<AuditRecord[]> {
    return this.queryIndex("byRepository", repositoryKey, q);
  }

  async byEventType(eventType: string, q: AuditQuery): Promise<AuditRecord[]> {
    return this.queryIndex("byEventType", eventType, q);
  }

  /** Verifies one image's chain, including storage keys that no hash covers. */
  async verifyImage(imageKey: string, now: Date): Promise<ChainReport> {
    const partition = await this.readImage(imageKey);
    const report = verifyChain(partition.records, now, { imageKey, head: partition.head });
    const extra = partition.recordItems.flatMap((item, i) => {
      const record = partition.records[i];
      return record ? storageKeyIssues(item, record) : [];
    });
    if (partition.headItem && !partition.head) {
      extra.push({
        code: "CHAIN_BROKEN",
        imageKey,
        seq: 0,
        message: "the head item has no usable seq and hash",
      });
    }
    if (extra.length === 0) return report;
    return { ...report, ok: false, issues: [...report.issues, ...extra] };
  }

  /**
   * Verifies every image (or every image of one repository), sorted by imageKey. A Scan lists
   * the partitions (keys only, so memory holds image keys, not the table); each image is then
   * read with a consistent Query, as verifyImage does.
   */
  async verifyAll(opts: { repositoryKey?: string }, now: Date): Promise<ChainReport[]> {
    const scan: Omit<ScanCommandInput, "TableName"> = {
      ProjectionExpression: "#pk",
      ExpressionAttributeNames: { "#pk": PK },
      ConsistentRead: true,
    };
    if (opts.repositoryKey !== undefined) {
      // imageKey is `<repositoryKey>@<digest>` (domain/image.ts), so the repository is a pk prefix.
      scan.FilterExpression = "begins_with(#pk, :prefix)";
      scan.ExpressionAttributeValues = { ":prefix": imagePk(`${opts.repositoryKey}@`) };
    }
    const imageKeys = new Set<string>();
    for (const item of await this.scanAll(scan)) {
      const key = imageKeyOfPk(item[PK]);
      if (key !== null) imageKeys.add(key);
    }
    const keys = [...imageKeys].sort();
    const reports: ChainReport[] = new Array(keys.length);
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < keys.length; i = next++) {
        reports[i] = await this.verifyImage(keys[i] as string, now);
      }
    };
    await Promise.all(
      Array.from({ length: Math.min(this.verifyConcurrency, keys.length) }, worker),
    );
    return reports;
  }

  private async readImage(imageKey: string): Promise<ImagePartition> {
    // One Query returns the head ("HEAD" sorts before "SEQ#") and the records in seq order.
    const items = await this.queryAll("Query", {
      KeyConditionExpression: "#pk = :pk",
      ExpressionAttributeNames: { "#pk": PK },
      ExpressionAttributeValues: { ":pk": imagePk(imageKey) },
      ConsistentRead: true,
    });
    const recordItems = items.filter(isRecordItem);
    const headItem = items.find(isHeadItem) ?? null;
    return {
      recordItems,
      records: recordItems.map(itemToRecord),
      headItem,
      head: headItem ? itemToHead(headItem) : null,
    };
  }

  /** False when the seq was taken by a concurrent writer. */
  private async putRecord(record: AuditRecord): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: recordToItem(record),
          ConditionExpression: "attribute_not_exists(#pk)",
          ExpressionAttributeNames: { "#pk": PK },
        }),
      );
      return true;
    } catch (err) {
      if (isConditionalFailure(err)) return false;
      throw new AuditStoreError(this.tableName, "PutItem", err);
    }
  }

  /**
   * Moves the head to `record` unless it already points at it or beyond (a concurrent append
   * got there first: that is fine). The head keeps the record's expiry, so TTL removes it with
   * the last record, and record 1's expiry, which lets verify judge a leading gap.
   */
  private async advanceHead(record: AuditRecord, chain: readonly AuditRecord[]): Promise<void> {
    const first = record.seq === 1 ? record : chain.find((r) => r.seq === 1);
    const names: Record<string, string> = {
      "#seq": "seq",
      "#hash": "hash",
      "#expiresAt": AUDIT_TABLE.ttlAttribute,
    };
    const values: Record<string, unknown> = {
      ":seq": record.seq,
      ":hash": record.hash,
      ":expiresAt": record.expiresAt,
    };
    let update = "SET #seq = :seq, #hash = :hash, #expiresAt = :expiresAt";
    if (first) {
      names["#firstExpiresAt"] = "firstExpiresAt";
      values[":firstExpiresAt"] = first.expiresAt;
      update += ", #firstExpiresAt = if_not_exists(#firstExpiresAt, :firstExpiresAt)";
    }
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { [PK]: imagePk(record.imageKey), [SK]: HEAD_SK },
          UpdateExpression: update,
          ConditionExpression: "attribute_not_exists(#seq) OR #seq < :seq",
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
    } catch (err) {
      if (isConditionalFailure(err)) return;
      throw new AuditStoreError(this.tableName, "UpdateItem", err);
    }
  }

  private async queryIndex(
    index: AuditIndexName,
    key: string,
    q: AuditQuery,
  ): Promise<AuditRecord[]> {
    const { partitionKey, sortKey } = AUDIT_TABLE.indexes[index];
    const range = timeRange(q);
    const items = await this.queryAll(
      "Query",
      {
        IndexName: index,
        KeyConditionExpression: `#ipk = :ipk${range.condition}`,
        ExpressionAttributeNames: {
          "#ipk": partitionKey,
          ...(range.condition ? { "#isk": sortKey } : {}),
        },
        ExpressionAttributeValues: { ":ipk": key, ...range.values },
      },
      q.limit,
    );
    return items.map(itemToRecord);
  }

  /** Every page of a Query, or until `limit` items. */
  private async queryAll(
    operation: string,
    input: Omit<QueryCommandInput, "TableName">,
    limit?: number,
  ): Promise<Item[]> {
    const items: Item[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const remaining = limit === undefined ? undefined : limit - items.length;
      let page: { Items?: Item[]; LastEvaluatedKey?: Record<string, unknown> };
      try {
        page = await this.client.send(
          new QueryCommand({
            ...input,
            TableName: this.tableName,
            ...(remaining !== undefined ? { Limit: remaining } : {}),
            ...(startKey ? { ExclusiveStartKey: startKey } : {}),
          }),
        );
      } catch (err) {
        throw new AuditStoreError(this.tableName, operation, err);
      }
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey && (limit === undefined || items.length < limit));
    return items;
  }

  private async scanAll(input: Omit<ScanCommandInput, "TableName">): Promise<Item[]> {
    const items: Item[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      let page: { Items?: Item[]; LastEvaluatedKey?: Record<string, unknown> };
      try {
        page = await this.client.send(
          new ScanCommand({
            ...input,
            TableName: this.tableName,
            ...(startKey ? { ExclusiveStartKey: startKey } : {}),
          }),
        );
      } catch (err) {
        throw new AuditStoreError(this.tableName, "Scan", err);
      }
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return items;
  }
}

/**
 * What the next record chains onto: the newest record, or the head when it is ahead (the
 * tail was deleted). Continuing after the head never reuses a seq, so the deletion stays
 * visible as a gap instead of being papered over by a new record in the same slot.
 */
function chainTip(
  imageKey: string,
  last: AuditRecord | undefined,
  head: ChainHead | null,
): ChainLink | null {
  if (head && head.seq > (last?.seq ?? 0)) return { imageKey, seq: head.seq, hash: head.hash };
  return last ?? null;
}

/**
 * Inclusive recordedAt bounds as a sort-key condition. Index sort keys are
 * `<recordedAt>#...`: recordedAt >= from ⇔ sk >= from, and recordedAt <= to ⇔ sk < to + "$"
 * ("$" sorts right after "#"). Bounds compare as strings, like the in-memory store.
 */
function timeRange(q: AuditQuery): { condition: string; values: Record<string, string> } {
  if (q.limit !== undefined && !(Number.isInteger(q.limit) && q.limit > 0)) {
    throw new AuditQueryError(`limit must be a positive whole number, got ${q.limit}`);
  }
  const { from, to } = q;
  if (from !== undefined && to !== undefined && from > to) {
    throw new AuditQueryError(`the time range is empty: from ${from} is after to ${to}`);
  }
  const upper = to === undefined ? undefined : `${to}$`;
  if (from !== undefined && upper !== undefined) {
    return {
      condition: " AND #isk BETWEEN :from AND :to",
      values: { ":from": from, ":to": upper },
    };
  }
  if (from !== undefined) return { condition: " AND #isk >= :from", values: { ":from": from } };
  if (upper !== undefined) return { condition: " AND #isk < :to", values: { ":to": upper } };
  return { condition: "", values: {} };
}

function isConditionalFailure(err: unknown): boolean {
  return err instanceof Error && err.name === "ConditionalCheckFailedException";
}

/** Full-jitter exponential backoff: spreads writers that lost the same seq apart. */
function backoff(attempt: number): Promise<void> {
  const ceiling = Math.min(500, 10 * 2 ** attempt);
  return new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
}
