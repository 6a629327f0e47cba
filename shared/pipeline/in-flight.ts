import { setTimeout as sleep } from "node:timers/promises";
import type { AuditAction, AuditRecord } from "../domain/audit-record.ts";
import type { AuditLog, Clock } from "../ports.ts";

/**
 * Two deliveries of one event can run at the same time (EventBridge and Lambda deliver at least
 * once, and nothing stops the copies from overlapping). The gate record is the lock: appends are
 * idempotent on (image, event, action), so exactly one delivery writes it and owns the
 * decision's side effects. Another delivery that finds the gate record but not every effect
 * record has to know whether the owner is still at work or has failed:
 *
 * - In the same process (deliveries sharing one AuditLog instance: a Lambda container, a CLI
 *   run) it knows: it waits for a running owner, and finishes at once for one that failed.
 *   That is the common case of a failed side effect: Lambda retries in the warm container.
 * - Across processes it cannot tell, so it polls the trail for the owner's records a little,
 *   then either gives up with DecisionInProgressError while the owner's lease lasts (retryable:
 *   Lambda's retry comes a minute later), or takes over once the lease has run out (the lease is
 *   at least the Lambda timeout, so the owner has stopped).
 *
 * Whoever finishes runs only the missing effects, each guarded by its record; a takeover after
 * a crash between an effect and its record repeats that effect, which quarantine (idempotent)
 * and an alert (noise, not harm) tolerate.
 */
export interface InFlightOptions {
  /** Seconds after its gate record a decision counts as abandoned. At least the Lambda timeout. */
  leaseSeconds: number;
  /** How long a duplicate delivery polls for another process's owner before giving up. */
  waitMs: number;
}

export const DEFAULT_IN_FLIGHT: InFlightOptions = { leaseSeconds: 60, waitMs: 10_000 };

/** Another delivery of the same event owns this decision and may still be carrying it out. */
export class DecisionInProgressError extends Error {
  readonly code = "DECISION_IN_PROGRESS";
  readonly imageKey: string;
  readonly eventId: string;
  /** When the owner's lease runs out and a retry will take over. */
  readonly retryAfter: string;

  constructor(claim: Claim, retryAfter: string) {
    super(
      `event ${claim.eventId} on ${claim.imageKey} is being handled by another delivery; ` +
        `nothing was changed, retry after ${retryAfter} (Lambda retries on its own)`,
    );
    this.name = "DecisionInProgressError";
    this.imageKey = claim.imageKey;
    this.eventId = claim.eventId;
    this.retryAfter = retryAfter;
  }
}

type Claim = Pick<AuditRecord, "imageKey" | "eventId">;
type LocalState = { kind: "running"; settled: Promise<void> } | { kind: "failed" };

/** Decisions owned in this process, per audit log instance (tests get one instance each). */
const local = new WeakMap<AuditLog, Map<string, LocalState>>();

function claimsOf(audit: AuditLog): Map<string, LocalState> {
  let claims = local.get(audit);
  if (!claims) {
    claims = new Map();
    local.set(audit, claims);
  }
  return claims;
}

const claimKey = (c: Claim) => `${c.imageKey}\n${c.eventId}`;

/** Runs a decision's effects as its owner, so deliveries in this process see it run or fail. */
export async function asOwner<T>(
  audit: AuditLog,
  claim: Claim,
  work: () => Promise<T>,
): Promise<T> {
  const claims = claimsOf(audit);
  const key = claimKey(claim);
  let settle = () => {};
  claims.set(key, { kind: "running", settled: new Promise<void>((r) => (settle = r)) });
  try {
    const out = await work();
    claims.delete(key);
    return out;
  } catch (error) {
    claims.set(key, { kind: "failed" });
    throw error;
  } finally {
    settle();
  }
}

/**
 * Returns once this delivery may finish the claim's decision: its owner finished (then every
 * action is recorded and finishing is a no-op), failed, or outlived its lease. Throws
 * DecisionInProgressError when another process's owner may still be working after `waitMs`.
 */
export async function awaitOwner(
  deps: { audit: AuditLog; clock: Clock; inFlight?: Partial<InFlightOptions> | undefined },
  claim: AuditRecord,
  actions: readonly AuditAction[],
): Promise<void> {
  const mine = local.get(deps.audit)?.get(claimKey(claim));
  if (mine?.kind === "running") return mine.settled;
  if (mine?.kind === "failed") return;

  const { leaseSeconds, waitMs } = { ...DEFAULT_IN_FLIGHT, ...deps.inFlight };
  const leaseEnd = Date.parse(claim.recordedAt) + leaseSeconds * 1000;
  // Real time bounds the wait; the injected clock judges the lease, as it judges everything else.
  const started = Date.now();
  let delay = 20;
  for (;;) {
    if (await allRecorded(deps.audit, claim, actions)) return;
    if (deps.clock().getTime() >= leaseEnd) return;
    const waited = Date.now() - started;
    if (waited >= waitMs)
      throw new DecisionInProgressError(claim, new Date(leaseEnd).toISOString());
    await sleep(Math.min(delay, waitMs - waited));
    delay = Math.min(delay * 2, 1000);
  }
}

async function allRecorded(
  audit: AuditLog,
  claim: Claim,
  actions: readonly AuditAction[],
): Promise<boolean> {
  for (const action of actions) {
    if (!(await audit.find(claim.imageKey, claim.eventId, action))) return false;
  }
  return true;
}
