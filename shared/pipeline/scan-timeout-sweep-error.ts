import type { PipelineOutcome } from "./pipeline-outcome.ts";

/** Images a sweep over recent pushes could not decide; the others were decided and are in `outcomes`. */
export class ScanTimeoutSweepError extends Error {
  readonly code = "SCAN_TIMEOUT_SWEEP_FAILED";
  readonly failures: { image: string; error: unknown }[];
  readonly outcomes: PipelineOutcome[];

  constructor(
    failures: { image: string; error: unknown }[],
    outcomes: PipelineOutcome[],
    sweep = "scan-timeout sweep",
  ) {
    const first = failures[0];
    const why = first?.error instanceof Error ? first.error.message : String(first?.error);
    super(
      `${sweep}: ${failures.length} image(s) could not be decided ` +
        `(first: ${first?.image}: ${why}); ${outcomes.length} other(s) were. ` +
        "The next sweep retries them; nothing half-done is left behind.",
    );
    this.name = "ScanTimeoutSweepError";
    this.failures = failures;
    this.outcomes = outcomes;
  }
}
