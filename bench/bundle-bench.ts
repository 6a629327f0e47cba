// Bundles each Lambda as deployed (esbuild, ESM, node22, minified, SDK included) and measures
// cold module initialization in fresh Node processes, as a ratio to an empty handler.
import { execFileSync } from "node:child_process";
import { mkdirSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { build } from "esbuild";
import { fmt, heading, median, row } from "./bench-util.ts";

const FUNCTIONS = ["on-image-push", "on-scan-complete", "scan-timeout-check"];
const RUNS = 15;
const outDir = resolve(".build/bench-bundles");

async function bundle(name: string, entry: string): Promise<string> {
  const outfile = join(outDir, `${name}.mjs`);
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: "node",
    target: "node22",
    format: "esm",
    minify: true,
    // Same shim SST adds so CommonJS dependencies can require() inside an ESM bundle.
    banner: {
      js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
    },
    logLevel: "error",
  });
  return outfile;
}

function coldInitMs(file: string): number {
  const script = `const t = performance.now(); await import(${JSON.stringify(file)}); process.stdout.write(String(performance.now() - t));`;
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], {
    env: {
      ...process.env,
      TABLE_NAME: "bench-table",
      TOPIC_ARN: "arn:aws:sns:us-east-1:123456789012:bench",
      POLICY_FILE: resolve("examples/registry-guard.yaml"),
      AWS_REGION: "us-east-1",
    },
  });
  return Number(out.toString());
}

export async function bundleBench(): Promise<void> {
  heading("Lambda bundles: size and cold module initialization (median of fresh processes)");
  mkdirSync(outDir, { recursive: true });
  const emptyEntry = join(outDir, "empty-handler.ts");
  writeFileSync(emptyEntry, "export const handler = async () => ({ ok: true });\n");
  const empty = await bundle("empty-handler", emptyEntry);
  const emptyMs = median(Array.from({ length: RUNS }, () => coldInitMs(empty)));
  row("empty handler", `${fmt(emptyMs)} ms init`);
  for (const name of FUNCTIONS) {
    const file = await bundle(name, `functions/${name}.ts`);
    const kb = statSync(file).size / 1024;
    const ms = median(Array.from({ length: RUNS }, () => coldInitMs(file)));
    row(name, `${fmt(kb, 0)} KiB, ${fmt(ms)} ms init, ${fmt(ms / emptyMs)}x empty (goal ≤ 2x)`);
  }
}
