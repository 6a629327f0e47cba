// The retention planner at scale: 100,000 images in one repository (goal < 1 s) and 1,000,000
// across 1,000 repositories (goal < 10 s), each in a fresh Node process so its peak memory
// (goal < 1 GB) is its own: the kernel's maximum resident set size (getrusage ru_maxrss), plus
// the largest heap seen between repositories. Inventories are generated lazily, one repository
// at a time as runRetention reads them, and their generation is not timed.
import { spawn } from "node:child_process";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { PlanContext } from "../shared/domain/plan-context.ts";
import { assemblePlan, planRepository } from "../shared/domain/plan-retention.ts";
import type { Artifact, RepositoryInventory } from "../shared/domain/retention-inventory.ts";
import type { RepositoryPlan } from "../shared/domain/retention-plan.ts";
import type { RetentionPolicy } from "../shared/domain/retention-policy.ts";
import { type Bench, type Figure, fmt, heading, note, row } from "./bench-util.ts";

const NOW = Date.parse("2026-06-15T12:00:00.000Z");
const DAY = 86_400_000;
const MB = 1024 * 1024;
const WORKER_FLAG = "--retention-plan-worker";

interface Case {
  label: string;
  repositories: number;
  perRepository: number;
  goalMs: number;
}

const CASES: Case[] = [
  { label: "100,000 images, 1 repository", repositories: 1, perRepository: 100_000, goalMs: 1000 },
  {
    label: "1,000,000 images, 1,000 repositories",
    repositories: 1000,
    perRepository: 1000,
    goalMs: 10_000,
  },
];
const GOAL_RSS = 1024 * MB;

/** What a worker reports. */
interface Measured {
  artifacts: number;
  deleted: number;
  /** Planning (every planRepository, then assemblePlan with the planId), generation excluded. */
  planMs: number;
  /** CPU time (user + system) of the process over the same spans: the figure load skews least. */
  cpuMs: number;
  assembleMs: number;
  maxRssBytes: number;
  peakHeapBytes: number;
  /** Live heap after a full GC with the plan still referenced. */
  planHeapBytes: number;
}

/** A deterministic pseudo-random sequence (xorshift), so every run plans the same inventory. */
function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

/** A 32-bit integer hash (murmur3's finalizer): spreads (repository, n) like SHA-256 would. */
function mix(x: number): number {
  let h = x >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * 64 hex digits that look random from the first character on (real digests do; a shared
 * prefix would make every comparison in the planner's sorts walk it), unique per (repo, n).
 */
const hex = (repo: number, n: number) => {
  const a = mix(repo * 0x9e3779b1 + n);
  const b = mix(a ^ (n * 0x85ebca6b) ^ repo);
  return `${a.toString(16).padStart(8, "0")}${b.toString(16).padStart(8, "0")}${repo.toString(16).padStart(8, "0")}${n.toString(16).padStart(40, "0")}`;
};

/**
 * One repository as ECR reports it: single-arch builds (tag build-N, every 20th also vX.Y.Z),
 * multi-arch indexes with two untagged children, cosign signatures under legacy tags, SBOMs by
 * OCI subject with their own signature, untagged leftovers, a few quarantined; half never
 * pulled. About `count` manifests.
 */
export function syntheticInventory(repo: number, count: number): RepositoryInventory {
  const rand = prng(repo * 7919 + 17);
  const artifacts: Artifact[] = [];
  let n = 0;
  const next = () => `sha256:${hex(repo, n++)}`;
  const time = (maxDays: number) =>
    new Date(NOW - Math.floor(rand() * maxDays * DAY)).toISOString();
  for (let build = 0; artifacts.length < count; build++) {
    const pushedAt = time(365);
    const lastPulledAt = rand() < 0.5 ? null : time(60);
    const sizeBytes = 20_000_000 + Math.floor(rand() * 400_000_000);
    const tags = [`build-${build}`];
    if (build % 20 === 0) tags.push(`v1.${build / 20}.0`);
    const r = rand();
    const digest = next();
    if (r < 0.1) {
      const children = [next(), next()];
      artifacts.push({
        digest,
        tags,
        pushedAt,
        lastPulledAt,
        mediaType: "application/vnd.oci.image.index.v1+json",
        children,
      });
      for (const child of children)
        artifacts.push({ digest: child, tags: [], pushedAt, lastPulledAt: null, sizeBytes });
    } else if (r < 0.2) {
      artifacts.push({ digest, tags: [], pushedAt, lastPulledAt, sizeBytes });
    } else {
      const quarantined = rand() < 0.01;
      artifacts.push({
        digest,
        tags,
        pushedAt,
        lastPulledAt,
        sizeBytes,
        ...(quarantined ? { quarantined, quarantinedAt: time(200) } : {}),
      });
    }
    if (rand() < 0.3) {
      artifacts.push({
        digest: next(),
        tags: [`sha256-${digest.slice(7)}.sig`],
        pushedAt,
        sizeBytes: 800,
      });
    }
    if (rand() < 0.1) {
      const sbom = next();
      artifacts.push({
        digest: sbom,
        tags: [],
        subject: digest,
        pushedAt,
        sizeBytes: 50_000,
        artifactType: "application/spdx+json",
      });
      artifacts.push({ digest: next(), tags: [], subject: sbom, pushedAt, sizeBytes: 800 });
    }
  }
  const inventory: RepositoryInventory = {
    registry: "ecr",
    registryId: "123456789012",
    region: "us-east-1",
    repository: `team-${repo % 20}/service-${repo}`,
    artifacts,
    manifestsKnown: true,
    pullTimesKnown: true,
  };
  // Through JSON, as an adapter's parsed API response: flat strings, not concatenation ropes.
  return JSON.parse(JSON.stringify(inventory)) as RepositoryInventory;
}

/** Four rules in Harbor's vocabulary and every protection and collection switched on. */
export const benchPolicy: RetentionPolicy = {
  rules: [
    {
      index: 0,
      template: "latestPushedK",
      param: 10,
      tagSelector: { tags: { decoration: "matches", patterns: ["v*"] }, untagged: false },
      repositorySelector: { decoration: "matches", patterns: ["**"] },
    },
    {
      index: 1,
      template: "nDaysSinceLastPull",
      param: 30,
      tagSelector: { tags: { decoration: "matches", patterns: ["**"] }, untagged: false },
      repositorySelector: { decoration: "excludes", patterns: ["team-19/**"] },
    },
    {
      index: 2,
      template: "latestPushedK",
      param: 50,
      tagSelector: { tags: { decoration: "excludes", patterns: ["v*"] }, untagged: true },
      repositorySelector: { decoration: "matches", patterns: ["team-1*/**"] },
    },
    {
      index: 3,
      template: "nDaysSinceLastPush",
      param: 14,
      tagSelector: { tags: { decoration: "matches", patterns: ["build-*"] }, untagged: false },
      repositorySelector: { decoration: "matches", patterns: ["**"] },
    },
  ],
  protections: {
    immutableTags: ["v1.0.0", "release-*"],
    pulledWithinDays: 7,
    quarantineExpiresAfterDays: 90,
    inUse: true,
  },
  gc: { untaggedOlderThanDays: 7, orphanReferrers: true },
  scheduleApplies: false,
};

/** Runs one case in this process (the worker side) and measures it. */
function measure(repositories: number, perRepository: number): Measured {
  const inUse = new Set(
    Array.from({ length: 1000 }, (_, i) => `sha256:${hex(i % repositories, i * 37)}`),
  );
  const ctx: PlanContext = { now: new Date(NOW), policyVersion: "bench", inUse };
  let peakHeap = 0;
  let planMs = 0;
  let cpuMicros = 0;
  let artifacts = 0;
  const plans: RepositoryPlan[] = [];
  for (let r = 0; r < repositories; r++) {
    const inv = syntheticInventory(r, perRepository);
    artifacts += inv.artifacts.length;
    // A large inventory arrives over hundreds of paged API calls, time enough for the collector
    // to clear what reading it left behind; collect the generator's garbage before the clock.
    if (perRepository >= 10_000) (globalThis as { gc?: () => void }).gc?.();
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    plans.push(planRepository(inv, benchPolicy, ctx));
    const c1 = process.cpuUsage(c0);
    planMs += performance.now() - t0;
    cpuMicros += c1.user + c1.system;
    // Sampled while this repository's inventory is still alive: the working set at its largest.
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  }
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const plan = assemblePlan(plans, ctx);
  const c1 = process.cpuUsage(c0);
  const assembleMs = performance.now() - t0;
  cpuMicros += c1.user + c1.system;
  peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  (globalThis as { gc?: () => void }).gc?.();
  // `plan` is still used below, so the collection above cannot free it.
  const planHeapBytes = process.memoryUsage().heapUsed;
  return {
    artifacts,
    deleted: plan.totals.deleted,
    planMs: planMs + assembleMs,
    cpuMs: cpuMicros / 1000,
    assembleMs,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    peakHeapBytes: peakHeap,
    planHeapBytes,
  };
}

/** Runs `measure` in a fresh Node process (tsx loader, GC exposed) and returns its report. */
function inFreshProcess(c: Case): Promise<Measured> {
  const file = fileURLToPath(import.meta.url);
  const args = [
    "--expose-gc",
    "--import",
    "tsx",
    file,
    WORKER_FLAG,
    String(c.repositories),
    String(c.perRepository),
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      err += chunk.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) {
        reject(new Error(`retention plan worker exited ${code}: ${err.trim().slice(0, 2000)}`));
        return;
      }
      resolve(JSON.parse(out.trim().split("\n").pop() ?? "{}") as Measured);
    });
  });
}

async function run(): Promise<Figure[]> {
  heading("Retention planner: plan time and peak memory, each case in a fresh process");
  const figures: Figure[] = [];
  for (const c of CASES) {
    const m = await inFreshProcess(c);
    row(`${c.label}: plan`, `${fmt(m.planMs, 0)} ms (planId ${fmt(m.assembleMs, 0)} ms)`);
    row("  CPU time (user + system)", `${fmt(m.cpuMs, 0)} ms`);
    row("  manifests planned / to delete", `${m.artifacts} / ${m.deleted}`);
    row("  peak RSS (ru_maxrss, whole process)", `${fmt(m.maxRssBytes / MB, 0)} MB`);
    row(
      "  peak heap / heap holding the plan",
      `${fmt(m.peakHeapBytes / MB, 0)} MB / ${fmt(m.planHeapBytes / MB, 0)} MB`,
    );
    figures.push(
      {
        bench: "retention",
        metric: `${c.label}`,
        value: `${fmt(m.planMs / 1000, 2)} s`,
        goal: `< ${c.goalMs / 1000} s`,
        met: m.planMs < c.goalMs,
      },
      {
        bench: "retention",
        metric: `${c.label}: peak RSS`,
        value: `${fmt(m.maxRssBytes / MB, 0)} MB`,
        goal: "< 1 GB",
        met: m.maxRssBytes < GOAL_RSS,
      },
    );
  }
  note(
    "Generating the synthetic inventories is not timed; the peak RSS includes it and Node itself.",
  );
  note("Wall times follow the machine's load (printed at the end of npm run bench).");
  return figures;
}

export const retentionPlanBench: Bench = {
  name: "retention-plan",
  description: "retention planner: 100,000 images in one repository, 1,000,000 across 1,000",
  run,
};

// Worker side: `node --import tsx bench/retention-plan-bench.ts --retention-plan-worker R N`.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const at = process.argv.indexOf(WORKER_FLAG);
  if (at >= 0) {
    const measured = measure(Number(process.argv[at + 1]), Number(process.argv[at + 2]));
    process.stdout.write(`${JSON.stringify(measured)}\n`);
  }
}
