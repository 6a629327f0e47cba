import { MultiBar, type SingleBar } from "cli-progress";
import type { RetentionPlan } from "../shared/domain/retention-plan.ts";
import type { RetentionProgress } from "../shared/retention/retention-progress.ts";
import type { CliIo } from "./cli-io.ts";

/**
 * Progress of a retention run on stderr. On a terminal: a bar per repository being worked on
 * (its deletions, for an apply) under a bar of repositories done; a finished repository becomes
 * one line above the bars. Elsewhere (a pipe, a CI log, a test): just that line per repository,
 * so logs stay readable.
 */
export interface RetentionProgressView {
  onProgress(e: RetentionProgress): void;
  /** Ends the bars (call it in `finally`): the cursor comes back and stderr is plain again. */
  stop(): void;
}

interface RepositoryState {
  artifacts?: number;
  deletions?: number;
  deleted: number;
  bar?: SingleBar;
}

/** A stream that may be a terminal (process.stderr); undefined means "not a terminal". */
export type ProgressStream = NodeJS.WritableStream & { isTTY?: boolean };

const NAME_WIDTH = 32;

function barName(name: string): string {
  return name.length > NAME_WIDTH ? `…${name.slice(-(NAME_WIDTH - 1))}` : name.padEnd(NAME_WIDTH);
}

export function retentionProgressBar(
  io: CliIo,
  opts: { apply: boolean; stream?: ProgressStream },
): RetentionProgressView {
  const repos = new Map<string, RepositoryState>();
  let total: number | undefined;
  let done = 0;
  const stateOf = (repository: string) => {
    let s = repos.get(repository);
    if (!s) {
      s = { deleted: 0 };
      repos.set(repository, s);
    }
    return s;
  };
  const doneLine = (repository: string, s: RepositoryState) => {
    const counts = [
      s.artifacts === undefined ? undefined : `${s.artifacts} artifacts`,
      s.deletions === undefined
        ? undefined
        : s.deletions === 0
          ? "nothing to delete"
          : opts.apply
            ? `${s.deleted}/${s.deletions} deleted`
            : `${s.deletions} to delete`,
    ].filter((c) => c !== undefined);
    const at = total === undefined ? `[${done}]` : `[${done}/${total}]`;
    return `${at} ${repository}: ${counts.length ? counts.join(", ") : "done"}`;
  };

  const tty = opts.stream?.isTTY === true;
  if (!tty) {
    return {
      onProgress(e) {
        if (e.kind === "repositories") total = e.total;
        else if (e.kind === "planned") {
          Object.assign(stateOf(e.repository), { artifacts: e.artifacts, deletions: e.deletions });
        } else if (e.kind === "deleted") {
          Object.assign(stateOf(e.repository), { deleted: e.done, deletions: e.total });
        } else {
          done += 1;
          io.err(doneLine(e.repository, stateOf(e.repository)));
          repos.delete(e.repository);
        }
      },
      stop() {},
    };
  }

  const multi = new MultiBar({
    stream: opts.stream as NodeJS.WritableStream,
    format: "{name} {bar} {value}/{total} {status}",
    barCompleteChar: "\u2588",
    barIncompleteChar: "\u2591",
    barsize: 24,
    hideCursor: true,
    clearOnComplete: true,
    autopadding: true,
    // Not Ctrl-C's business: the command's own handling of a stop applies.
    gracefulExit: false,
  });
  let overall: SingleBar | undefined;
  const barOf = (repository: string, s: RepositoryState, size: number) => {
    if (!s.bar)
      s.bar = multi.create(Math.max(size, 1), 0, { name: barName(repository), status: "" });
    return s.bar;
  };
  return {
    onProgress(e) {
      if (e.kind === "repositories") {
        total = e.total;
        overall = multi.create(Math.max(e.total, 1), done, {
          name: barName("repositories"),
          status: opts.apply ? "apply" : "dry run",
        });
      } else if (e.kind === "planned") {
        const s = stateOf(e.repository);
        Object.assign(s, { artifacts: e.artifacts, deletions: e.deletions });
        const bar = barOf(e.repository, s, opts.apply ? e.deletions : 1);
        bar.update(opts.apply ? 0 : 1, {
          status: `${e.artifacts} artifacts, ${e.deletions} to delete`,
        });
      } else if (e.kind === "deleted") {
        const s = stateOf(e.repository);
        Object.assign(s, { deleted: e.done, deletions: e.total });
        const bar = barOf(e.repository, s, e.total);
        bar.setTotal(Math.max(e.total, 1));
        bar.update(e.done, { status: "deleting" });
      } else {
        done += 1;
        const s = stateOf(e.repository);
        // Logged before the bar goes: removing it redraws, which prints the line above the bars.
        multi.log(`${doneLine(e.repository, s)}\n`);
        overall?.update(done);
        if (s.bar) multi.remove(s.bar);
        else multi.update();
        repos.delete(e.repository);
      }
    },
    stop() {
      if (multi.isActive) multi.update();
      multi.stop();
    },
  };
}

/**
 * Applying a plan file reports deletions only; the plan knows each repository's counts, so they
 * are announced the first time a repository shows up, as a planning run would.
 */
export function announcePlanned(
  plan: RetentionPlan,
  onProgress: (e: RetentionProgress) => void,
): (e: RetentionProgress) => void {
  const counts = new Map(
    plan.repositories.map((r) => [
      r.repository,
      { artifacts: r.artifacts.length, deletions: r.deleted },
    ]),
  );
  return (e) => {
    if (e.kind === "deleted" || e.kind === "repository-done") {
      const c = counts.get(e.repository);
      if (c) {
        counts.delete(e.repository);
        onProgress({ kind: "planned", repository: e.repository, ...c });
      }
    }
    onProgress(e);
  };
}
