/** A planned deletion the registry (or the audit log) did not complete; a rerun retries it. */
export interface FailedDeletion {
  repository: string;
  digest: string;
  /** The registry's failure code (ECR failureCode, OCI error code, HTTP status) or ours. */
  code?: string;
  message?: string;
}

/** A planned deletion left alone on purpose (the registry changed since the plan, …). */
export interface SkippedDeletion {
  repository: string;
  digest: string;
  why: string;
}

/** One repository's outcome; the lists are in the plan's order. */
export interface RepositoryApplyResult {
  repository: string;
  deleted: number;
  alreadyGone: number;
  /** Of alreadyGone: deletions an earlier apply of the same plan made and audited. */
  resumed: number;
  bytesReclaimed: number;
  failed: FailedDeletion[];
  skipped: SkippedDeletion[];
}

/**
 * What applying a plan did. Every planned deletion is in exactly one of deleted, alreadyGone,
 * failed and skipped, so they add up to the plan's deletions.
 */
export interface ApplyResult {
  planId: string;
  /** Deleted by this run and audited. */
  deleted: number;
  /** Gone before this run got to it (resumed ones included), and audited. */
  alreadyGone: number;
  /** Sum of sizeBytes over `deleted` (unknown sizes count 0). */
  bytesReclaimed: number;
  failed: FailedDeletion[];
  skipped: SkippedDeletion[];
  /** Addition: of alreadyGone, how many an earlier apply of this plan had already recorded. */
  resumed: number;
  /** Addition: per repository, in the plan's order. */
  repositories: RepositoryApplyResult[];
}

export function combineApplyResults(
  planId: string,
  repositories: readonly RepositoryApplyResult[],
): ApplyResult {
  const out: ApplyResult = {
    planId,
    deleted: 0,
    alreadyGone: 0,
    bytesReclaimed: 0,
    failed: [],
    skipped: [],
    resumed: 0,
    repositories: [...repositories],
  };
  for (const r of repositories) {
    out.deleted += r.deleted;
    out.alreadyGone += r.alreadyGone;
    out.resumed += r.resumed;
    out.bytesReclaimed += r.bytesReclaimed;
    // Loops, not push(...list): a list of 100,000 would overflow the argument stack.
    for (const f of r.failed) out.failed.push(f);
    for (const s of r.skipped) out.skipped.push(s);
  }
  return out;
}
