// What the cold init of our bundles is made of, two ways:
//  1. probes: each part a function loads (Powertools, SDK clients, zod schemas, the policy file,
//     node:http), bundled alone like a function and timed in fresh processes against an empty
//     handler; pairs show what a different import form would save;
//  2. a CPU profile of one function's import, by package and by kind of engine work.
// Probes overlap (the SDK and Powertools share code), so their costs do not add up exactly.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { BUNDLED_POLICY_FILE } from "../infra/data/function-specs.ts";
import {
  type Bench,
  type Figure,
  fmt,
  heading,
  median,
  minimum,
  note,
  signed,
  table,
} from "./bench-util.ts";
import {
  emptyHandlerBundle,
  functionEnv,
  type InitSamples,
  preparePackageDir,
  sampleInit,
} from "./bundle-bench.ts";
import { BUCKETS, profileImport } from "./cpu-profile.ts";
import { BENCH_OUT, REPO_ROOT } from "./paths.ts";
import { type Bundle, bundleLikeSst } from "./sst-bundle.ts";

const ROUNDS = 15;
const PROFILE_RUNS = 5;
const PROFILED_FUNCTION = "on-scan-complete";
const outDir = join(BENCH_OUT, "init");

const PROBES: Record<string, string> = {
  powertools: "Powertools Logger + Metrics + middy",
  "aws-clients": "ECR, SNS, DynamoDB (document) clients",
  "event-schemas": "event parsers (zod schemas)",
  "policy-load": "policy file: read, YAML parse, zod validate",
  "policy-json": "the same policy pre-converted to JSON, zod validate",
  "zod-named": "zod as `import { z }` + one schema",
  "zod-namespace": "zod as `import * as z` + one schema",
  "node-http-esm": "node:http imported as ESM",
  "node-http-require": "node:http loaded with require()",
};

const kib = (bytes: number) => `${fmt(bytes / 1024, 0)} KiB`;

async function probes(): Promise<Figure[]> {
  heading(
    `Cold init by part: probes bundled alone, (a) import in fresh processes (${ROUNDS} rounds)`,
  );
  const bundles: Record<string, Bundle> = { "empty handler": await emptyHandlerBundle(outDir) };
  for (const name of Object.keys(PROBES)) {
    const entry = join(REPO_ROOT, "bench", "init-probes", `${name}.ts`);
    bundles[name] = await bundleLikeSst(entry, join(outDir, `${name}.mjs`));
  }
  const files = Object.fromEntries(Object.entries(bundles).map(([n, b]) => [n, b.file]));
  const samples = await sampleInit(files, ROUNDS, outDir, functionEnv());
  const empty = samples["empty handler"] as InitSamples;
  const added: Record<string, number> = {};
  const rows = Object.entries(bundles).map(([name, bundle]) => {
    const s = (samples[name] as InitSamples).importMs;
    const med = median(s) - median(empty.importMs);
    const min = minimum(s) - minimum(empty.importMs);
    added[name] = med;
    return [
      name,
      PROBES[name] ?? "baseline",
      kib(bundle.bytes),
      `${fmt(median(s), 1)} (${fmt(minimum(s), 1)})`,
      name === "empty handler" ? "" : `${signed(med)} (${signed(min)})`,
    ];
  });
  process.stdout.write(
    table(["probe", "what it loads", "size", "import ms (min)", "vs empty (min)"], rows, 2),
  );
  const saving = (a: string, b: string) => fmt((added[a] ?? 0) - (added[b] ?? 0), 1);
  note(`import * as z instead of import { z }: ${saving("zod-named", "zod-namespace")} ms less`);
  note(
    `node:http through require() instead of ESM: ${saving("node-http-esm", "node-http-require")} ms less`,
  );
  note(`policy as JSON instead of YAML: ${saving("policy-load", "policy-json")} ms less`);
  return Object.keys(PROBES).map((name) => ({
    bench: "init",
    metric: `probe ${name}`,
    value: `${signed(added[name] ?? 0)} ms`,
  }));
}

async function profile(): Promise<Figure[]> {
  heading(
    `Cold init by package: CPU profile of ${PROFILED_FUNCTION}'s import (${PROFILE_RUNS} runs)`,
  );
  const file = join(outDir, `${PROFILED_FUNCTION}.mjs`);
  const entry = join(REPO_ROOT, "functions", `${PROFILED_FUNCTION}.ts`);
  // Same build as deployed, plus a source map file beside it to name the code in each sample.
  await bundleLikeSst(entry, file, { sourcemap: "external" });
  const breakdown = await profileImport(file, PROFILE_RUNS, { cwd: outDir, env: functionEnv() });
  const total = [...breakdown.values()].reduce((a, b) => a + b, 0);
  const sorted = [...breakdown].sort((a, b) => b[1] - a[1]);
  const shown = sorted.filter(([, ms]) => ms / total >= 0.005);
  const rest = total - shown.reduce((a, [, ms]) => a + ms, 0);
  const rows = shown.map(([bucket, ms]) => [bucket, fmt(ms, 1), `${fmt((100 * ms) / total, 1)}%`]);
  rows.push(["everything under 0.5% each", fmt(rest, 1), `${fmt((100 * rest) / total, 1)}%`]);
  process.stdout.write(table(["where", "ms", "share"], rows));
  note(
    `${fmt(total, 0)} ms profiled per import; the profiler slows code down, so read shares, ` +
      "and the bundle bench for unprofiled times.",
  );
  const share = (bucket: string) => (100 * (breakdown.get(bucket) ?? 0)) / total;
  const compile = share(BUCKETS.compile) + share(BUCKETS.wrappers);
  return [
    {
      bench: "init",
      metric: `${PROFILED_FUNCTION}: compiling code`,
      value: `${fmt(compile, 0)}% of import`,
    },
    ...sorted
      .filter(([bucket]) => !Object.values(BUCKETS).includes(bucket as never))
      .slice(0, 3)
      .map(([pkg, ms]) => ({
        bench: "init",
        metric: `${PROFILED_FUNCTION}: running ${pkg}`,
        value: `${fmt((100 * ms) / total, 0)}% of import`,
      })),
    {
      bench: "init",
      metric: `${PROFILED_FUNCTION}: node:http as ESM`,
      value: `${fmt(share(BUCKETS.undici), 0)}% of import`,
    },
  ];
}

async function run(): Promise<Figure[]> {
  preparePackageDir(outDir);
  // For the policy-json probe: the bundled policy as JSON, as a build step could produce it.
  const yamlText = readFileSync(join(outDir, BUNDLED_POLICY_FILE), "utf8");
  writeFileSync(join(outDir, "registry-guard.json"), JSON.stringify(parse(yamlText)));
  return [...(await probes()), ...(await profile())];
}

export const initBench: Bench = {
  name: "init",
  description: "what cold init is made of: probes and a CPU profile",
  run,
};
