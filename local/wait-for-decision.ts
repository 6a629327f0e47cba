import type { AuditRecord } from "../shared/domain/audit-record.ts";
import { type ImageRef, imageKey } from "../shared/domain/image.ts";
import type { AuditLog } from "../shared/ports.ts";

/** No decision was recorded in time. */
export class DecisionTimeoutError extends Error {
  readonly code = "LOCAL_DECISION_TIMEOUT";
  constructor(image: string, ms: number) {
    super(
      `no gate decision was recorded for ${image} within ${ms / 1000} s; check the registry log and the console for failed events`,
    );
    this.name = "DecisionTimeoutError";
  }
}

/**
 * Waits until the image's chain holds a gate decision and, for a failing one, every effect it
 * called for (quarantined when the decision said so, alert-sent): what the demo and the
 * benchmarks wait on. Returns the image's records at that point.
 */
export async function waitForDecision(
  audit: AuditLog,
  image: Pick<ImageRef, "registry" | "registryId" | "repository" | "digest">,
  opts: { timeoutMs?: number; since?: string; pollMs?: number } = {},
): Promise<AuditRecord[]> {
  const key = imageKey(image);
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const records = await audit.byImage(key);
    if (settled(records, opts.since)) return records;
    if (Date.now() > deadline) throw new DecisionTimeoutError(key, timeoutMs);
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 50));
  }
}

function settled(records: AuditRecord[], since: string | undefined): boolean {
  const gate = records.findLast(
    (r) => r.action === "gate-evaluated" && (since === undefined || r.recordedAt >= since),
  );
  if (!gate) return false;
  if (gate.verdict !== "fail") return true;
  const of = (action: AuditRecord["action"]) =>
    records.some((r) => r.eventId === gate.eventId && r.action === action);
  const quarantine = (gate.detail as { onFail?: string } | undefined)?.onFail === "quarantine";
  return of("alert-sent") && (!quarantine || of("quarantined"));
}
