// Push → verdict on the local runtime: for each of 200 images, the time from the push that
// attaches its scan report (the `sha256-<hex>` referrers index, the push that triggers the gate
// on distribution 2.8) returning, to the pipeline having recorded the verdict and carried out
// its effects (quarantine and alert for the failing half). One image at a time: latency, not
// throughput. The path measured is the real one: registry notification → receiver → queue →
// pipeline (registry reads, digest check, report fetch and parse, gate, audit appends in
// dynalite, quarantine move, alert to console and JSONL).
import { readFile } from "node:fs/promises";
import { attachScanReport } from "../local/attach-scan-report.ts";
import { pushSampleImage } from "../local/sample-image.ts";
import { OciClient } from "../shared/adapters/oci/oci-client.ts";
import { imageKey } from "../shared/domain/image.ts";
import type { PipelineOutcome } from "../shared/pipeline/pipeline-outcome.ts";
import {
  type Bench,
  type Figure,
  fmt,
  heading,
  median,
  note,
  percentile,
  row,
} from "./bench-util.ts";
import { withLocalRuntime } from "./local-bench-runtime.ts";

const PUSHES = 200;
const WARMUP = 10;
const GOAL_P95_MS = 500;

interface Sample {
  ms: number;
  verdict: string;
}

async function measure(): Promise<{ samples: Sample[]; warnings: number }> {
  const failing = await readFile("test/fixtures/findings/trivy.json");
  const passing = await readFile("examples/findings/trivy-pass.json");
  // A decided outcome settles the wait for its image.
  const waiting = new Map<string, (o: PipelineOutcome) => void>();
  const onOutcome = (o: PipelineOutcome) => {
    if (o.status === "decided" && o.image) waiting.get(o.image)?.(o);
  };
  return withLocalRuntime({ onOutcome }, async (rt, warnings) => {
    const client = new OciClient({ url: rt.registryUrl });
    try {
      const samples: Sample[] = [];
      for (let i = 0; i < WARMUP + PUSHES; i++) {
        const fail = i % 2 === 0;
        const repository = `${fail ? "prod" : "team"}/svc-${i % 20}`;
        const img = await pushSampleImage(client, repository, [`v${i}`]);
        const key = imageKey({
          registry: "oci",
          registryId: rt.registryHost,
          repository,
          digest: img.digest,
        });
        const decided = new Promise<PipelineOutcome>((resolve) => waiting.set(key, resolve));
        await attachScanReport(client, {
          repository,
          digest: img.digest,
          report: fail ? failing : passing,
        });
        // The clock starts once the triggering push has returned to the client.
        const t0 = performance.now();
        const outcome = await withTimeout(decided, 10_000, key);
        const ms = performance.now() - t0;
        waiting.delete(key);
        if (i >= WARMUP) samples.push({ ms, verdict: outcome.verdict ?? "?" });
      }
      return { samples, warnings: warnings() };
    } finally {
      client.close();
    }
  });
}

export const localLatencyBench: Bench = {
  name: "local-latency",
  description: "local runtime: push → verdict latency over 200 pushes (p95 goal < 500 ms)",
  async run(): Promise<Figure[]> {
    heading(`local-latency: push → verdict on the local runtime (${PUSHES} images, one at a time)`);
    const { samples, warnings } = await measure();
    const all = samples.map((s) => s.ms);
    const of = (v: string) => samples.filter((s) => s.verdict === v).map((s) => s.ms);
    const p50 = median(all);
    const p95 = percentile(all, 95);
    row("pushes measured", `${samples.length} (after ${WARMUP} warm-up)`);
    row("push → verdict p50", `${fmt(p50, 1)} ms`);
    row("push → verdict p95", `${fmt(p95, 1)} ms  (goal < ${GOAL_P95_MS} ms)`);
    row("max", `${fmt(Math.max(...all), 1)} ms`);
    row(
      "failing (quarantined, alerted) p50 / p95",
      `${fmt(median(of("fail")), 1)} / ${fmt(percentile(of("fail"), 95), 1)} ms`,
    );
    row(
      "passing p50 / p95",
      `${fmt(median(of("pass")), 1)} / ${fmt(percentile(of("pass"), 95), 1)} ms`,
    );
    row("warnings and errors logged", String(warnings));
    note("From the referrers-index PUT returning to the outcome being reported: includes the");
    note("registry's notification delivery, the receiver, the queue and the whole pipeline.");
    return [
      { bench: "local-latency", metric: "push → verdict p50", value: `${fmt(p50, 1)} ms` },
      {
        bench: "local-latency",
        metric: "push → verdict p95",
        value: `${fmt(p95, 1)} ms`,
        goal: `< ${GOAL_P95_MS} ms`,
        met: p95 < GOAL_P95_MS,
      },
    ];
  },
};

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([
    p,
    new Promise<T>((_, reject) =>
      setTimeout(() => reject(new Error(`no verdict for ${what} within ${ms} ms`)), ms).unref(),
    ),
  ]);
}
