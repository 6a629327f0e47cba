// `npm run bench [-- name ...]`: runs every benchmark (or those whose name contains one of the
// arguments) in sequence and closes with a summary table. Figures are printed, never asserted:
// a missed goal does not fail the run; a benchmark that crashes does.
import { cpus, loadavg } from "node:os";
import { auditBench } from "./audit-bench.ts";
import { type Bench, type Figure, fmt, heading, table } from "./bench-util.ts";
import { bundleBench } from "./bundle-bench.ts";
import { environment, printEnvironment } from "./environment.ts";
import { gateBench } from "./gate-bench.ts";
import { initBench } from "./init-bench.ts";
import { localLatencyBench } from "./local-latency.ts";
import { localThroughputBench } from "./local-throughput.ts";
import { retentionEcrCallsBench } from "./retention-ecr-calls-bench.ts";
import { retentionOciDeleteBench } from "./retention-oci-delete-bench.ts";
import { retentionPlanBench } from "./retention-plan-bench.ts";
import { signatureVerifyBench } from "./signature-verify-bench.ts";

const BENCHES: Bench[] = [
  gateBench,
  bundleBench,
  initBench,
  auditBench,
  localLatencyBench,
  localThroughputBench,
  retentionPlanBench,
  retentionEcrCallsBench,
  retentionOciDeleteBench,
  signatureVerifyBench,
];

function selected(args: readonly string[]): Bench[] {
  const wanted = args.map((a) => a.toLowerCase()).filter((a) => a && !a.startsWith("-"));
  if (wanted.length === 0) return BENCHES;
  const chosen = BENCHES.filter((b) => wanted.some((w) => b.name.includes(w)));
  if (chosen.length === 0) {
    const names = BENCHES.map((b) => `  ${b.name.padEnd(8)} ${b.description}`).join("\n");
    process.stderr.write(`no benchmark matches ${wanted.join(", ")}; there are:\n${names}\n`);
    process.exit(2);
  }
  return chosen;
}

async function main(): Promise<void> {
  const benches = selected(process.argv.slice(2));
  printEnvironment(environment());
  const started = performance.now();
  const figures: Figure[] = [];
  const failed: string[] = [];
  for (const bench of benches) {
    try {
      figures.push(...(await bench.run()));
    } catch (err) {
      failed.push(bench.name);
      process.stderr.write(`\nbenchmark "${bench.name}" failed: ${(err as Error).stack ?? err}\n`);
    }
  }
  heading(`Summary (${fmt((performance.now() - started) / 1000, 0)} s)`);
  const goal = (f: Figure) =>
    f.goal === undefined ? "" : `${f.goal} ${f.met ? "met" : "NOT met"}`;
  process.stdout.write(
    table(
      ["bench", "metric", "value", "goal"],
      figures.map((f) => [f.bench, f.metric, f.value, goal(f)]),
      4,
    ),
  );
  const load = loadavg()[0] ?? 0;
  process.stdout.write(
    `  load average (1 min) at the end: ${fmt(load, 2)} on ${cpus().length} cores` +
      `${load > cpus().length / 2 ? " (busy machine: fresh-process timings are inflated)" : ""}\n`,
  );
  if (failed.length > 0) {
    process.stderr.write(`\nfailed to run: ${failed.join(", ")}\n`);
    process.exitCode = 1;
  }
}

await main();
