import { buildRecord } from "../../domain/audit-chain.ts";
import type { AuditAction, AuditRecord, AuditRecordInput } from "../../domain/audit-record.ts";
import type { AppendResult, AuditLog, AuditQuery, Clock } from "../../ports.ts";

/**
 * A read-through, write-to-memory view of another audit log: what a dry run writes to. Reads see
 * the real trail plus what the dry run appended, so a dry run makes the decisions a real run
 * would (a redelivered event is a duplicate, the scan-timeout sweep finds the real pushes), and
 * appends continue each image's real chain in memory. The wrapped log is only ever read.
 */
export class OverlayAuditLog implements AuditLog {
  private readonly base: AuditLog;
  private readonly clock: Clock;
  private readonly retentionDays: number;
  private readonly added = new Map<string, AuditRecord[]>();

  constructor(base: AuditLog, opts: { clock: Clock; retentionDays?: number }) {
    this.base = base;
    this.clock = opts.clock;
    this.retentionDays = opts.retentionDays ?? 400;
  }

  async append(input: AuditRecordInput): Promise<AppendResult> {
    const real = await this.base.byImage(input.imageKey);
    // Everything below is synchronous, so concurrent appends cannot interleave within it.
    const own = this.added.get(input.imageKey) ?? [];
    const same = (r: AuditRecord) => r.eventId === input.eventId && r.action === input.action;
    const existing = own.find(same) ?? real.find(same);
    if (existing) return { record: existing, duplicate: true };
    const tip = own.at(-1) ?? real.at(-1) ?? null;
    const record = buildRecord(input, tip, this.clock(), this.retentionDays);
    own.push(record);
    this.added.set(input.imageKey, own);
    return { record, duplicate: false };
  }

  async find(imageKey: string, eventId: string, action: AuditAction): Promise<AuditRecord | null> {
    const own = this.added.get(imageKey)?.find((r) => r.eventId === eventId && r.action === action);
    return own ?? (await this.base.find(imageKey, eventId, action));
  }

  async byImage(imageKey: string): Promise<AuditRecord[]> {
    return [...(await this.base.byImage(imageKey)), ...(this.added.get(imageKey) ?? [])];
  }

  async byRepository(repositoryKey: string, q: AuditQuery): Promise<AuditRecord[]> {
    const { limit, ...range } = q;
    const real = await this.base.byRepository(repositoryKey, range);
    return merge(
      real,
      this.select((r) => r.repositoryKey === repositoryKey, range),
      limit,
    );
  }

  async byEventType(eventType: string, q: AuditQuery): Promise<AuditRecord[]> {
    const { limit, ...range } = q;
    const real = await this.base.byEventType(eventType, range);
    return merge(
      real,
      this.select((r) => r.eventType === eventType, range),
      limit,
    );
  }

  /** The records the dry run would have written, oldest first. */
  all(): AuditRecord[] {
    return [...this.added.values()].flat().sort((a, b) => a.recordedAt.localeCompare(b.recordedAt));
  }

  private select(pred: (r: AuditRecord) => boolean, q: AuditQuery): AuditRecord[] {
    return this.all().filter(
      (r) => pred(r) && (!q.from || r.recordedAt >= q.from) && (!q.to || r.recordedAt <= q.to),
    );
  }
}

/** Both lists in recordedAt order (stable: real records first at equal times), then the limit. */
function merge(real: AuditRecord[], own: AuditRecord[], limit: number | undefined): AuditRecord[] {
  const all = [...real, ...own].sort((a, b) => a.recordedAt.localeCompare(b.recordedAt));
  return limit ? all.slice(0, limit) : all;
}
