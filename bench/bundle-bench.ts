// Each Lambda function bundled as deployed: bundle size, and cold initialization in fresh Node
// processes as a ratio to an empty handler bundled the same way and measured in the same run.
//
// Two measures of "cold init" (docs/benchmarks.md says which one the goal means and why):
//   (a) import: `await import(bundle)` inside the fresh process (compile + top-level code);
//   (b) ready:  spawn until the handler is ready, node's own startup included, which is what
//       Lambda's init phase adds up.
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BUNDLED_POLICY_FILE, FUNCTION_SPECS } from "../infra/data/function-specs.ts";
import {
  type Bench,
  type Figure,
  fmt,
  heading,
  median,
  minimum,
  note,
  table,
} from "./bench-util.ts";
import { lambdaLikeEnv, timeFreshInit } from "./fresh-process.ts";
import { BENCH_OUT, REPO_ROOT } from "./paths.ts";
import { type Bundle, bundleLikeSst, bytesByPackage, bytesUnder } from "./sst-bundle.ts";

const ROUNDS = 21;
const GOAL_RATIO = 2;
const outDir = join(BENCH_OUT, "bundles");

/** Environment the functions read at import, laid out as in the deployed package. */
export function functionEnv(): NodeJS.ProcessEnv {
  return lambdaLikeEnv({
    TABLE_NAME: "bench-audit",
    TOPIC_ARN: "arn:aws:sns:us-east-1:123456789012:bench-alerts",
    POLICY_FILE: BUNDLED_POLICY_FILE,
  });
}

/**
 * A folder shaped like the deployed function package: the policy file sits next to the bundles
 * under the name POLICY_FILE gives, and processes start there (Lambda's cwd is the package root).
 */
export function preparePackageDir(dir: string): void {
  mkdirSync(dir, { recursive: true });
  copyFileSync(join(REPO_ROOT, "examples/registry-guard.yaml"), join(dir, BUNDLED_POLICY_FILE));
}

export interface InitSamples {
  importMs: number[];
  readyMs: number[];
}

/**
 * Times every bundle in fresh processes, round-robin so drift in machine load hits all of them
 * alike. One discarded warm-up round first fills the OS file cache.
 */
export async function sampleInit(
  files: Record<string, string>,
  rounds: number,
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<Record<string, InitSamples>> {
  const samples: Record<string, InitSamples> = {};
  for (const name of Object.keys(files)) samples[name] = { importMs: [], readyMs: [] };
  for (let round = -1; round < rounds; round++) {
    for (const [name, file] of Object.entries(files)) {
      const t = await timeFreshInit(file, { cwd, env });
      if (round < 0) continue;
      samples[name]?.importMs.push(t.importMs);
      samples[name]?.readyMs.push(t.readyMs);
    }
  }
  return samples;
}

export async function emptyHandlerBundle(dir: string): Promise<Bundle> {
  const entry = join(dir, "empty-handler.ts");
  writeFileSync(entry, "export const handler = async () => ({ ok: true });\n");
  return bundleLikeSst(entry, join(dir, "empty-handler.mjs"));
}

const kib = (bytes: number) => `${fmt(bytes / 1024, 0)} KiB`;

async function run(): Promise<Figure[]> {
  heading(
    `Lambda bundles as deployed: size and cold init in fresh processes (${ROUNDS} rounds, median)`,
  );
  preparePackageDir(outDir);
  const bundles: Record<string, Bundle> = { "empty handler": await emptyHandlerBundle(outDir) };
  for (const spec of Object.values(FUNCTION_SPECS)) {
    const entry = join(REPO_ROOT, `${spec.handler.replace(/\.[^.]+$/, "")}.ts`);
    bundles[spec.name] = await bundleLikeSst(entry, join(outDir, `${spec.name}.mjs`));
  }
  const files = Object.fromEntries(Object.entries(bundles).map(([n, b]) => [n, b.file]));
  const samples = await sampleInit(files, ROUNDS, outDir, functionEnv());
  const empty = samples["empty handler"] as InitSamples;
  const emptyImport = median(empty.importMs);
  const emptyReady = median(empty.readyMs);

  const rows: string[][] = [];
  const figures: Figure[] = [];
  for (const [name, bundle] of Object.entries(bundles)) {
    const s = samples[name] as InitSamples;
    const imp = median(s.importMs);
    const ready = median(s.readyMs);
    const ratioA = imp / emptyImport;
    const ratioB = ready / emptyReady;
    rows.push([
      name,
      kib(bundle.bytes),
      `${fmt(imp, 1)} (${fmt(minimum(s.importMs), 1)})`,
      `${fmt(ratioA, 1)}x`,
      `${fmt(ready, 1)} (${fmt(minimum(s.readyMs), 1)})`,
      `${fmt(ratioB, 2)}x`,
    ]);
    if (name === "empty handler") continue;
    figures.push(
      { bench: "bundle", metric: `${name} size`, value: kib(bundle.bytes) },
      {
        bench: "bundle",
        metric: `${name} (b) ready vs empty`,
        value: `${fmt(ratioB, 2)}x (${fmt(ready, 0)} / ${fmt(emptyReady, 0)} ms)`,
        goal: `<= ${GOAL_RATIO}x`,
        met: ratioB <= GOAL_RATIO,
      },
      {
        bench: "bundle",
        metric: `${name} (a) import vs empty`,
        value: `${fmt(ratioA, 0)}x (${fmt(imp, 0)} / ${fmt(emptyImport, 1)} ms)`,
      },
    );
  }
  process.stdout.write(
    table(
      ["bundle", "size", "(a) import ms (min)", "(a) ratio", "(b) ready ms (min)", "(b) ratio"],
      rows,
    ),
  );
  note(`goal: (b) ratio <= ${GOAL_RATIO}x the empty handler (see docs/benchmarks.md)`);

  // What the bytes are: parse and compile time grows with them (see the init bench).
  const biggest = Object.entries(bundles)
    .filter(([n]) => n !== "empty handler")
    .sort((x, y) => y[1].bytes - x[1].bytes)[0];
  if (biggest) {
    const [name, bundle] = biggest;
    const top = bytesByPackage(bundle.metafile).slice(0, 10);
    note(`largest inputs of ${name} (bytes in the minified output):`);
    for (const [pkg, bytes] of top) {
      note(
        `  ${pkg.padEnd(40)} ${kib(bytes).padStart(9)}  ${fmt((100 * bytes) / bundle.bytes, 1)}%`,
      );
    }
    const locales = bytesUnder(bundle.metafile, "node_modules/zod/v4/locales/");
    if (locales > 0) note(`  of which zod's error-message locales: ${kib(locales)}`);
  }
  return figures;
}

export const bundleBench: Bench = {
  name: "bundle",
  description: "Lambda bundles: size and cold init vs an empty handler",
  run,
};
