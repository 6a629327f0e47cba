import { checkScanTimeouts } from "../shared/pipeline/check-scan-timeouts.ts";
import { checkSignatureDeadlines } from "../shared/pipeline/check-signature-deadlines.ts";
import type { PipelineDeps } from "../shared/pipeline/pipeline-deps.ts";
import type { PipelineOutcome } from "../shared/pipeline/pipeline-outcome.ts";
import { ScanTimeoutSweepError } from "../shared/pipeline/scan-timeout-sweep-error.ts";

export interface ScanTimeoutTimer {
  /** Runs a sweep now (or joins the one running) and returns what it decided. */
  runNow(): Promise<PipelineOutcome[]>;
  /** No further sweeps; waits for the running one. */
  stop(): Promise<void>;
}

/**
 * The scheduled scan-timeout sweep of the Lambda deployment, as a timer: every `intervalMs`
 * images still undecided after their repository's scan timeout are decided (and fail when
 * still unscanned). Runs never overlap. A sweep that could not decide some images logs them;
 * the next run retries them, as the scheduled Lambda's next invocation would.
 */
export function startScanTimeoutTimer(
  deps: PipelineDeps,
  opts: { intervalMs: number; onOutcome?: (o: PipelineOutcome) => void },
): ScanTimeoutTimer {
  let running: Promise<PipelineOutcome[]> | undefined;
  let stopped = false;
  const sweep = (): Promise<PipelineOutcome[]> => {
    if (running) return running;
    running = (async () => {
      try {
        // Scan timeouts first, then signature deadlines: the two sweeps of the scheduled Lambda.
        return [
          ...(await runOne(() => checkScanTimeouts(deps), "scan-timeout")),
          ...(await runOne(() => checkSignatureDeadlines(deps), "signature deadline")),
        ];
      } finally {
        running = undefined;
      }
    })();
    return running;
  };
  async function runOne(
    sweepOnce: () => Promise<PipelineOutcome[]>,
    what: string,
  ): Promise<PipelineOutcome[]> {
    try {
      const outcomes = await sweepOnce();
      for (const o of outcomes) opts.onOutcome?.(o);
      return outcomes;
    } catch (err) {
      if (err instanceof ScanTimeoutSweepError) {
        for (const o of err.outcomes) opts.onOutcome?.(o);
        deps.log.error(err.message, { failures: err.failures.length });
        return err.outcomes;
      }
      deps.log.error(`${what} sweep failed; the next run retries`, {
        error: err instanceof Error ? err.message : String(err),
      });
      return [];
    }
  }
  const timer =
    opts.intervalMs > 0
      ? setInterval(() => {
          if (!stopped) void sweep();
        }, opts.intervalMs)
      : undefined;
  timer?.unref();
  return {
    runNow: sweep,
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      await running;
    },
  };
}
