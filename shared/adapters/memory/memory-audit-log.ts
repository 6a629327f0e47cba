import { buildRecord } from "../../domain/audit-chain.ts";
import type { AuditRecord, AuditRecordInput } from "../../domain/audit-record.ts";
import type { AppendResult, AuditLog, AuditQuery, Clock } from "../../ports.ts";

/**
 * The audit trail kept in memory, with the same chain and idempotency rules as the DynamoDB
 * store: used by dry runs (which must write nothing real) and by the offline demo.
 */
export class MemoryAuditLog implements AuditLog {
  private readonly chains = new Map<string, AuditRecord[]>();
  private readonly clock: Clock;
  private readonly retentionDays: number;

  constructor(opts: { clock: Clock; retentionDays?: number }) {
    this.clock = opts.clock;
    this.retentionDays = opts.retentionDays ?? 400;
  }

  async append(input: AuditRecordInput): Promise<AppendResult> {
    const chain = this.chains.get(input.imageKey) ?? [];
    const existing = chain.find((r) => r.eventId === input.eventId && r.action === input.action);
    if (existing) return { record: existing, duplicate: true };
    const record = buildRecord(input, chain.at(-1) ?? null, this.clock(), this.retentionDays);
    chain.push(record);
    this.chains.set(input.imageKey, chain);
    return { record, duplicate: false };
  }

  async find(imageKey: string, eventId: string, action: AuditRecordInput["action"]) {
    return (
      this.chains.get(imageKey)?.find((r) => r.eventId === eventId && r.action === action) ?? null
    );
  }

  async byImage(imageKey: string): Promise<AuditRecord[]> {
    return [...(this.chains.get(imageKey) ?? [])];
  }

  async byRepository(repositoryKey: string, q: AuditQuery): Promise<AuditRecord[]> {
    return this.select((r) => r.repositoryKey === repositoryKey, q);
  }

  async byEventType(eventType: string, q: AuditQuery): Promise<AuditRecord[]> {
    return this.select((r) => r.eventType === eventType, q);
  }

  /** Every record, oldest first. */
  all(): AuditRecord[] {
    return [...this.chains.values()]
      .flat()
      .sort((a, b) => a.recordedAt.localeCompare(b.recordedAt));
  }

  private select(pred: (r: AuditRecord) => boolean, q: AuditQuery): AuditRecord[] {
    const hits = this.all().filter(
      (r) => pred(r) && (!q.from || r.recordedAt >= q.from) && (!q.to || r.recordedAt <= q.to),
    );
    return q.limit ? hits.slice(0, q.limit) : hits;
  }
}
