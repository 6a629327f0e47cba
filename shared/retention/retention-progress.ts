/**
 * What a retention run reports as it goes, for progress bars (CLI) and logs (Lambda). Events of
 * different repositories interleave when they run concurrently; each names its repository.
 */
export type RetentionProgress =
  /** The run selected this many repositories (after globs and the cursor). */
  | { kind: "repositories"; total: number }
  /** A repository's plan is ready: `deletions` of its `artifacts` are planned for deletion. */
  | { kind: "planned"; repository: string; artifacts: number; deletions: number }
  /** `done` of the repository's `total` planned deletions are settled (any outcome). */
  | { kind: "deleted"; repository: string; done: number; total: number }
  /** Nothing more will happen in this repository during this run. */
  | { kind: "repository-done"; repository: string };
