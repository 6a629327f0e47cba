import type { AuditRecordInput } from "../../shared/domain/audit-record.ts";
import type { Artifact, RepositoryInventory } from "../../shared/domain/retention-inventory.ts";
import type {
  DeleteReason,
  PlannedArtifact,
  RepositoryPlan,
  RetentionPlan,
} from "../../shared/domain/retention-plan.ts";
import type { AuditLog, Log } from "../../shared/ports.ts";

/** Hand-built retention plans and inventories: the apply tests need no planner. */

export const REGISTRY_ID = "123456789012";
export const REGION = "eu-west-1";
export const T0 = Date.parse("2026-03-01T12:00:00.000Z");

export function digest(n: number): string {
  return `sha256:${n.toString(16).padStart(64, "0")}`;
}

export function artifact(n: number, tags: string[] = [], extra: Partial<Artifact> = {}): Artifact {
  return {
    digest: digest(n),
    tags,
    pushedAt: new Date(T0 - n * 86_400_000).toISOString(),
    sizeBytes: 1000 + n,
    ...extra,
  };
}

export function inventory(repository: string, artifacts: Artifact[]): RepositoryInventory {
  return {
    registry: "ecr",
    registryId: REGISTRY_ID,
    region: REGION,
    repository,
    artifacts,
    manifestsKnown: true,
    pullTimesKnown: true,
  };
}

/**
 * A repository plan over `inv`: the digests in `deletions` are deleted (with that reason), all
 * others kept; artifacts in inventory order unless `order` (digests) says otherwise.
 */
export function planFor(
  inv: RepositoryInventory,
  deletions: ReadonlyMap<string, DeleteReason> | readonly string[],
  order?: readonly string[],
): RepositoryPlan {
  const del: ReadonlyMap<string, DeleteReason> = Array.isArray(deletions)
    ? new Map(deletions.map((d) => [d, "not-retained" as DeleteReason]))
    : (deletions as ReadonlyMap<string, DeleteReason>);
  const byDigest = new Map(inv.artifacts.map((a) => [a.digest, a]));
  const digests = order ?? inv.artifacts.map((a) => a.digest);
  const artifacts: PlannedArtifact[] = digests.map((d) => {
    const a = byDigest.get(d);
    if (!a) throw new Error(`planFor: ${d} is not in the inventory`);
    const reason = del.get(d);
    const role = a.children ? "index" : a.subject ? "referrer" : "image";
    return {
      digest: a.digest,
      tags: [...a.tags],
      role,
      ...(a.pushedAt ? { pushedAt: a.pushedAt } : {}),
      ...(a.sizeBytes !== undefined ? { sizeBytes: a.sizeBytes } : {}),
      decision: reason ? "delete" : "keep",
      reason: reason ?? "rule",
      ...(reason === "not-retained" || !reason
        ? { rule: { index: 0, template: "latestPushedK" as const } }
        : {}),
      detail: reason ? `deleted: ${reason}` : "kept by rule 0 (latestPushedK)",
    };
  });
  const deleted = artifacts.filter((a) => a.decision === "delete");
  return {
    registry: inv.registry,
    registryId: inv.registryId,
    ...(inv.region ? { region: inv.region } : {}),
    repository: inv.repository,
    artifacts,
    kept: artifacts.length - deleted.length,
    deleted: deleted.length,
    bytesReclaimed: deleted.reduce((n, a) => n + (a.sizeBytes ?? 0), 0),
    bytesUnknown: deleted.filter((a) => a.sizeBytes === undefined).length,
  };
}

export function planOf(repositories: RepositoryPlan[], planId = "plan-1"): RetentionPlan {
  const sum = (f: (r: RepositoryPlan) => number) => repositories.reduce((n, r) => n + f(r), 0);
  return {
    planId,
    now: new Date(T0).toISOString(),
    policyVersion: "policy00v1",
    repositories,
    totals: {
      repositories: repositories.length,
      artifacts: sum((r) => r.artifacts.length),
      kept: sum((r) => r.kept),
      deleted: sum((r) => r.deleted),
      bytesReclaimed: sum((r) => r.bytesReclaimed),
      bytesUnknown: sum((r) => r.bytesUnknown),
    },
  };
}

export const silentLog: Log = { debug() {}, info() {}, warn() {}, error() {} };

/** A clock that moves one second per reading. */
export function steppingClock(start = T0): () => Date {
  let t = start;
  return () => {
    t += 1000;
    return new Date(t);
  };
}

/** Counts the audit calls and can start failing appends after `failAfter` of them. */
export class CountingAudit implements AuditLog {
  finds = 0;
  appends = 0;
  failAfter: number | undefined;
  failFinds = false;
  private readonly inner: AuditLog;

  constructor(inner: AuditLog) {
    this.inner = inner;
  }

  append(input: AuditRecordInput) {
    if (this.failAfter !== undefined && this.appends >= this.failAfter) {
      return Promise.reject(Object.assign(new Error("audit table unavailable"), { code: "X" }));
    }
    this.appends += 1;
    return this.inner.append(input);
  }

  find(imageKey: string, eventId: string, action: AuditRecordInput["action"]) {
    if (this.failFinds) return Promise.reject(new Error("audit table unreadable"));
    this.finds += 1;
    return this.inner.find(imageKey, eventId, action);
  }

  byImage(imageKey: string) {
    return this.inner.byImage(imageKey);
  }
  byRepository(repositoryKey: string, q: Parameters<AuditLog["byRepository"]>[1]) {
    return this.inner.byRepository(repositoryKey, q);
  }
  byEventType(eventType: string, q: Parameters<AuditLog["byEventType"]>[1]) {
    return this.inner.byEventType(eventType, q);
  }
}
