import { mapLimit } from "../concurrency/map-limit.ts";
import { clip } from "../domain/alert-format.ts";
import type { AuditRecord, AuditRecordInput } from "../domain/audit-record.ts";
import { DIGEST_RE, imageKey, repositoryKey } from "../domain/image.ts";
import type { RepositoryInventory } from "../domain/retention-inventory.ts";
import type { PlannedArtifact, RepositoryPlan } from "../domain/retention-plan.ts";
import type { AuditLog, Log } from "../ports.ts";
import type { RepositoryApplyResult } from "./apply-result.ts";
import { BoundedQueue } from "./bounded-pool.ts";
import { errorCode, errorText } from "./error-text.ts";
import type { DeletionResult, RetentionRegistry } from "./retention-ports.ts";
import type { RetentionProgress } from "./retention-progress.ts";
import { checkPlannedDeletions } from "./stale-check.ts";

/** Audit reads and writes in flight per repository (each is one or a few DynamoDB calls). */
export const AUDIT_CONCURRENCY = 8;

/** The audit eventId of every deletion a plan makes: a rerun of the plan finds them by it. */
export function retentionEventId(planId: string): string {
  return `retention:${planId}`;
}

export interface ApplyRepositoryDeps {
  registry: RetentionRegistry;
  audit: AuditLog;
  log: Log;
}

export interface ApplyRepositoryOptions {
  planId: string;
  policyVersion: string;
  /**
   * The registry's inventory taken just now (runRetention plans from it a moment earlier); when
   * absent, a fresh one is read for the stale check.
   */
  inventory?: RepositoryInventory;
  onProgress?: (e: RetentionProgress) => void;
}

/**
 * Applies one repository's plan: deletes exactly its `decision: "delete"` artifacts that are
 * still as planned (see stale-check.ts), parents before children, and audits each one after the
 * registry confirms it. Never throws: what could not be done is in `failed`, with a code.
 *
 * Resumable: per deletion, one audit `find` first (a record for this plan's eventId means an
 * earlier run deleted it: no second delete call) and one `append` after the registry answers.
 * A crash between a deletion and its append is healed by the next apply of the same plan: the
 * digest is then missing from the registry, so it is audited as already gone.
 */
export async function applyRepositoryPlan(
  rp: RepositoryPlan,
  deps: ApplyRepositoryDeps,
  opts: ApplyRepositoryOptions,
): Promise<RepositoryApplyResult> {
  const repository = rp.repository;
  const tally = new Tally(rp);
  const planned = deletionsOf(rp, tally);
  const total = planned.length;
  let done = 0;
  const settled = () => opts.onProgress?.({ kind: "deleted", repository, done: ++done, total });
  if (total === 0) return tally.result();

  // A plan names the registry it was made for; the same digests elsewhere are other images.
  if (rp.registry !== deps.registry.kind || rp.registryId !== deps.registry.registryId) {
    const message = `planned for ${rp.registry} ${rp.registryId}, not ${deps.registry.kind} ${deps.registry.registryId}; nothing was read or deleted`;
    for (const a of planned) {
      tally.fail(a, "REGISTRY_MISMATCH", message);
      settled();
    }
    return tally.result();
  }

  const eventId = retentionEventId(opts.planId);
  const keyOf = (digest: string) =>
    imageKey({ registry: rp.registry, registryId: rp.registryId, repository, digest });

  // 1. Resume: what an earlier apply of this plan already deleted and recorded.
  let found: (AuditRecord | null)[];
  try {
    found = await mapLimit(planned, AUDIT_CONCURRENCY, (a) =>
      deps.audit.find(keyOf(a.digest), eventId, "image-deleted"),
    );
  } catch (err) {
    // Without the audit log nothing may be deleted: every deletion must be recorded.
    for (const a of planned) {
      tally.fail(
        a,
        "AUDIT_UNAVAILABLE",
        `audit log not readable, nothing deleted: ${errorText(err)}`,
      );
      settled();
    }
    return tally.result();
  }
  const open = planned.filter((a, i) => {
    if (!found[i]) return true;
    tally.gone(a, true);
    settled();
    return false;
  });
  if (open.length === 0) return tally.result();

  // 2. Stale check against the registry as it is now.
  let current: RepositoryInventory;
  try {
    current = opts.inventory ?? (await deps.registry.inventory(repository));
  } catch (err) {
    for (const a of open) {
      tally.fail(a, errorCode(err), `inventory before deleting failed: ${errorText(err)}`);
      settled();
    }
    return tally.result();
  }
  const check = checkPlannedDeletions(open, current, tally.kept);
  for (const { artifact, why } of check.skipped) {
    tally.skip(artifact, why);
    settled();
  }

  // 3. Audit every confirmed deletion, a bounded number at a time.
  const queue = new BoundedQueue(AUDIT_CONCURRENCY);
  let auditError: unknown;
  const record = (a: PlannedArtifact, outcome: "deleted" | "already-gone") => {
    void queue.run(async () => {
      try {
        await deps.audit.append(auditInput(rp, a, opts, outcome, keyOf(a.digest)));
        tally.count(a, outcome);
      } catch (err) {
        auditError ??= err;
        const what = outcome === "deleted" ? "deleted" : "already gone";
        tally.fail(
          a,
          "AUDIT_FAILED",
          `${what}, but its audit record could not be written (${errorText(err)}); apply the same plan again to record it`,
        );
      }
      settled();
    });
  };
  for (const a of check.gone) record(a, "already-gone");
  await queue.drain();

  // 4. Delete wave by wave: parents confirmed gone before their children and referrers.
  const confirmed = new Set(check.gone.map((a) => a.digest));
  let stopped: { code: string; message: string } | undefined;
  for (const wave of check.waves) {
    if (!stopped && auditError) {
      stopped = {
        code: "AUDIT_FAILED",
        message: `not attempted: the audit log failed (${errorText(auditError)})`,
      };
    }
    if (stopped) {
      for (const a of wave) {
        tally.fail(a, stopped.code, stopped.message);
        settled();
      }
      continue;
    }
    const ready: PlannedArtifact[] = [];
    for (const a of wave) {
      const parent = check.parentsOf(a.digest).find((p) => !confirmed.has(p));
      if (parent === undefined) ready.push(a);
      else {
        tally.skip(a, `its parent ${parent} was not deleted, so it stays with it`);
        settled();
      }
    }
    if (ready.length === 0) continue;

    const byDigest = new Map(ready.map((a) => [a.digest, a]));
    const handled = new Set<string>();
    const onResult = (r: DeletionResult) => {
      const a = byDigest.get(r.digest);
      if (!a) {
        deps.log.warn("registry reported a digest that was not asked for", {
          repository,
          digest: r.digest,
        });
        return;
      }
      if (handled.has(r.digest)) return;
      handled.add(r.digest);
      if (r.outcome === "failed") {
        tally.fail(a, r.code, r.message);
        settled();
        return;
      }
      confirmed.add(r.digest);
      record(a, r.outcome);
    };
    try {
      const results = await deps.registry.deleteManifests(
        repository,
        ready.map((a) => a.digest),
        onResult,
      );
      for (const r of results) onResult(r);
    } catch (err) {
      stopped = {
        code: errorCode(err),
        message: `not confirmed: ${errorText(err)} (a rerun of the plan finds out what was deleted)`,
      };
    }
    for (const a of ready) {
      if (handled.has(a.digest)) continue;
      tally.fail(
        a,
        stopped?.code ?? "NO_RESULT",
        stopped?.message ?? "the registry gave no result",
      );
      settled();
    }
    await queue.drain();
  }
  await queue.drain();
  const result = tally.result();
  if (result.failed.length > 0) {
    deps.log.warn("retention: some deletions failed", {
      repository,
      failed: result.failed.length,
      firstCode: result.failed[0]?.code,
    });
  }
  return result;
}

/** The planned deletions, each once, minus those the plan also keeps or cannot name. */
function deletionsOf(rp: RepositoryPlan, tally: Tally): PlannedArtifact[] {
  const seen = new Set<string>();
  const out: PlannedArtifact[] = [];
  for (const a of rp.artifacts) {
    if (a.decision !== "delete" || seen.has(a.digest)) continue;
    seen.add(a.digest);
    if (!DIGEST_RE.test(a.digest)) tally.skip(a, "not a sha256 digest; the plan is malformed");
    else if (tally.kept.has(a.digest)) tally.skip(a, "the plan also keeps this digest");
    else out.push(a);
  }
  return out;
}

function auditInput(
  rp: RepositoryPlan,
  a: PlannedArtifact,
  opts: ApplyRepositoryOptions,
  outcome: "deleted" | "already-gone",
  key: string,
): AuditRecordInput {
  return {
    imageKey: key,
    repositoryKey: repositoryKey(rp),
    repository: rp.repository,
    digest: a.digest,
    tags: [...a.tags],
    action: "image-deleted",
    eventId: retentionEventId(opts.planId),
    eventType: "retention-applied",
    policyVersion: opts.policyVersion,
    reasons: [clip(a.detail || a.reason, 500)],
    detail: {
      planId: opts.planId,
      reason: a.reason,
      ...(a.rule ? { rule: a.rule } : {}),
      ...(a.sizeBytes !== undefined ? { sizeBytes: a.sizeBytes } : {}),
      role: a.role,
      outcome,
      ...(rp.region ? { region: rp.region } : {}),
    },
  };
}

/** The repository's counts and lists; lists come out in the plan's order. */
class Tally {
  readonly kept: ReadonlySet<string>;
  private readonly repository: string;
  private readonly order: Map<string, number>;
  private deleted = 0;
  private alreadyGone = 0;
  private resumed = 0;
  private bytes = 0;
  private readonly failed: { at: number; digest: string; code?: string; message?: string }[] = [];
  private readonly skipped: { at: number; digest: string; why: string }[] = [];

  constructor(rp: RepositoryPlan) {
    this.repository = rp.repository;
    this.kept = new Set(rp.artifacts.filter((a) => a.decision === "keep").map((a) => a.digest));
    this.order = new Map();
    rp.artifacts.forEach((a, i) => {
      if (!this.order.has(a.digest)) this.order.set(a.digest, i);
    });
  }

  count(a: PlannedArtifact, outcome: "deleted" | "already-gone"): void {
    if (outcome === "already-gone") this.gone(a, false);
    else {
      this.deleted += 1;
      this.bytes += a.sizeBytes ?? 0;
    }
  }

  gone(_a: PlannedArtifact, resumed: boolean): void {
    this.alreadyGone += 1;
    if (resumed) this.resumed += 1;
  }

  fail(a: PlannedArtifact, code: string | undefined, message: string | undefined): void {
    this.failed.push({
      at: this.at(a),
      digest: a.digest,
      ...(code !== undefined ? { code } : {}),
      ...(message !== undefined ? { message } : {}),
    });
  }

  skip(a: PlannedArtifact, why: string): void {
    this.skipped.push({ at: this.at(a), digest: a.digest, why });
  }

  result(): RepositoryApplyResult {
    const repository = this.repository;
    const byPlan = (x: { at: number }, y: { at: number }) => x.at - y.at;
    return {
      repository,
      deleted: this.deleted,
      alreadyGone: this.alreadyGone,
      resumed: this.resumed,
      bytesReclaimed: this.bytes,
      failed: [...this.failed].sort(byPlan).map(({ at: _at, ...f }) => ({ repository, ...f })),
      skipped: [...this.skipped].sort(byPlan).map(({ at: _at, ...s }) => ({ repository, ...s })),
    };
  }

  private at(a: PlannedArtifact): number {
    return this.order.get(a.digest) ?? Number.MAX_SAFE_INTEGER;
  }
}
