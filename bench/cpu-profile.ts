// Where the import time of a bundle goes: V8's sampling profiler around `await import(bundle)` in
// a fresh process, each sample charged to the npm package of the code it was in (through the
// bundle's source map), or to the engine work it was doing (compiling, loading Node builtins).
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { SourceMap } from "node:module";
import { pathToFileURL } from "node:url";
import { packageOf } from "./sst-bundle.ts";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Milliseconds of samples per bucket, summed over the runs. */
export type Breakdown = Map<string, number>;

export const BUCKETS = {
  compile: "compile: V8 parses the bundle (eager, before any code runs)",
  wrappers: "esbuild module wrappers (V8 compiles each module body lazily here)",
  undici: "node:http as ESM: builds its namespace, which loads undici",
  builtins: "loading other Node builtins and linking the module",
  gc: "garbage collection",
  other: "other engine work",
} as const;

function captureProfile(
  file: string,
  opts: { cwd: string; env: NodeJS.ProcessEnv },
): Promise<Profile> {
  // The inspector is connected before the import, so only the import is profiled.
  const script = [
    `import { Session } from "node:inspector/promises";`,
    "const s = new Session(); s.connect();",
    `await s.post("Profiler.enable");`,
    `await s.post("Profiler.setSamplingInterval", { interval: 100 });`,
    `await s.post("Profiler.start");`,
    `await import(${JSON.stringify(pathToFileURL(file).href)});`,
    `const { profile } = await s.post("Profiler.stop");`,
    "process.stdout.write(JSON.stringify(profile));",
  ].join("\n");
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
      cwd: opts.cwd,
      env: opts.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    let err = "";
    child.stdout.on("data", (c: Buffer) => out.push(c));
    child.stderr.on("data", (c: Buffer) => {
      err += c.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) reject(new Error(`profiling ${file} failed (exit ${code}): ${err.trim()}`));
      else resolve(JSON.parse(Buffer.concat(out).toString()) as Profile);
    });
  });
}

/**
 * Profiles `runs` fresh imports of `file` (built with an external source map next to it) and
 * returns the average milliseconds per bucket. Time in Node internals or native code called
 * from bundle code is charged to the package of the nearest bundle frame above it.
 */
export async function profileImport(
  file: string,
  runs: number,
  opts: { cwd: string; env: NodeJS.ProcessEnv },
): Promise<Breakdown> {
  const map = new SourceMap(JSON.parse(readFileSync(`${file}.map`, "utf8")));
  const bundleUrl = pathToFileURL(file).href;
  const packageAt = new Map<string, string | null>();
  const frameOwner = (cf: CallFrame): string | null | undefined => {
    if (cf.url !== bundleUrl) return undefined;
    const key = `${cf.lineNumber}:${cf.columnNumber}`;
    if (!packageAt.has(key)) {
      const entry = map.findEntry(cf.lineNumber, cf.columnNumber) as { originalSource?: string };
      packageAt.set(key, entry.originalSource ? packageOf(entry.originalSource) : null);
    }
    return packageAt.get(key);
  };

  const totals: Breakdown = new Map();
  const add = (bucket: string, ms: number) => totals.set(bucket, (totals.get(bucket) ?? 0) + ms);
  for (let r = 0; r < runs; r++) {
    const profile = await captureProfile(file, opts);
    const nodes = new Map<number, ProfileNode>();
    const parent = new Map<number, number>();
    for (const n of profile.nodes) {
      nodes.set(n.id, n);
      for (const c of n.children ?? []) parent.set(c, n.id);
    }
    profile.samples.forEach((id, i) => {
      const ms = (profile.timeDeltas[i + 1] ?? 0) / 1000 / runs;
      const stack: CallFrame[] = [];
      for (let x: number | undefined = id; x !== undefined; x = parent.get(x)) {
        const n = nodes.get(x);
        if (n) stack.push(n.callFrame);
      }
      add(bucketOf(stack, frameOwner), ms);
    });
  }
  totals.delete("(idle)");
  return totals;
}

function bucketOf(
  stack: CallFrame[],
  frameOwner: (cf: CallFrame) => string | null | undefined,
): string {
  const top = stack[0];
  if (!top) return BUCKETS.other;
  if (top.functionName === "(garbage collector)") return BUCKETS.gc;
  if (top.functionName === "(idle)") return "(idle)";
  if (top.functionName === "compileSourceTextModule") return BUCKETS.compile;
  if (stack.some((cf) => cf.functionName === "lazyUndici")) return BUCKETS.undici;
  for (const cf of stack) {
    const owner = frameOwner(cf);
    if (owner === undefined) continue;
    return owner ?? BUCKETS.wrappers;
  }
  return top.url.startsWith("node:") || stack.some((cf) => cf.url.startsWith("node:"))
    ? BUCKETS.builtins
    : BUCKETS.other;
}
