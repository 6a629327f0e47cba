import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MemoryAuditLog } from "../../shared/adapters/memory/memory-audit-log.ts";
import { MemoryRetentionRegistry } from "../../shared/adapters/memory/memory-retention-registry.ts";
import { loadPolicy } from "../../shared/domain/policy-load.ts";
import type { RepositoryInventory } from "../../shared/domain/retention-inventory.ts";
import type { RepositoryPlan } from "../../shared/domain/retention-plan.ts";
import type { Alert, Log } from "../../shared/ports.ts";
import {
  planLogParts,
  type RetentionInvocationDeps,
  type RetentionInvocationResult,
  runRetentionInvocation,
} from "../../shared/retention/retention-invocation.ts";
import {
  CARRIED_ITEMS,
  parseRetentionPayload,
  type RetentionPayload,
  RetentionPayloadError,
} from "../../shared/retention/retention-payload.ts";
import type { InUseProvider } from "../../shared/retention/retention-ports.ts";

const NOW = new Date("2024-06-01T03:00:00.000Z");
const DAY = 86_400_000;

/** Keeps the newest push of every repository; everything else goes (Harbor's latestPushedK). */
const POLICY = loadPolicy(
  [
    "version: 1",
    "retention:",
    "  rules:",
    "    - keep: latestPushedK",
    "      count: 1",
    "      tags: { matches: '**' }",
    "      repositories: { matches: '**' }",
  ].join("\n"),
  "retention.yaml",
);
const IN_USE_POLICY = loadPolicy(
  [
    "version: 1",
    "retention:",
    "  rules:",
    "    - keep: latestPushedK",
    "      count: 1",
    "  protections:",
    "    inUse: true",
  ].join("\n"),
  "in-use.yaml",
);

function digest(repository: string, i: number): string {
  const hex = Buffer.from(`${repository}#${i}`).toString("hex").padEnd(64, "0").slice(0, 64);
  return `sha256:${hex}`;
}

/** `images` tagged images per repository, pushed a day apart, the last the newest. */
function inventory(repository: string, images: number): RepositoryInventory {
  return {
    registry: "ecr",
    registryId: "123456789012",
    region: "us-east-1",
    repository,
    manifestsKnown: true,
    pullTimesKnown: true,
    artifacts: Array.from({ length: images }, (_, i) => ({
      digest: digest(repository, i),
      tags: [`v${i}`],
      pushedAt: new Date(NOW.getTime() - (images - i) * DAY).toISOString(),
      lastPulledAt: null,
      sizeBytes: 1000 * (i + 1),
      mediaType: "application/vnd.oci.image.manifest.v1+json",
    })),
  };
}

const quiet: Log = { debug() {}, info() {}, warn() {}, error() {} };

interface World {
  deps: RetentionInvocationDeps;
  registry: MemoryRetentionRegistry;
  audit: MemoryAuditLog;
  alerts: Alert[];
  continued: RetentionPayload[];
  logs: { message: string; extra: Record<string, unknown> }[];
}

function world(
  repos: Record<string, number>,
  opts: {
    maxContinuations?: number;
    failContinuation?: boolean;
    policy?: typeof POLICY;
    inUse?: InUseProvider;
  } = {},
): World {
  const registry = new MemoryRetentionRegistry(
    "ecr",
    "123456789012",
    Object.entries(repos).map(([r, n]) => inventory(r, n)),
  );
  const clock = () => NOW;
  const audit = new MemoryAuditLog({ clock });
  const alerts: Alert[] = [];
  const continued: RetentionPayload[] = [];
  const logs: World["logs"] = [];
  const log: Log = {
    ...quiet,
    info: (message, ...extra) => logs.push({ message, extra: Object.assign({}, ...extra) }),
  };
  let runs = 0;
  return {
    registry,
    audit,
    alerts,
    continued,
    logs,
    deps: {
      retention: {
        registry,
        audit,
        clock,
        log,
        policy: opts.policy ?? POLICY,
        alerts: {
          async publish(alert) {
            alerts.push(alert);
            return { messageId: "m" };
          },
        },
        ...(opts.inUse ? { inUse: opts.inUse } : {}),
      },
      async continueWith(payload) {
        if (opts.failContinuation) throw new Error("Lambda Invoke throttled");
        // What really travels: JSON through the Lambda Invoke API.
        continued.push(JSON.parse(JSON.stringify(payload)));
      },
      newRunId: () => `run-${++runs}`,
      settings: {
        safetyMarginMs: 180_000,
        maxContinuations: opts.maxContinuations ?? 100,
        concurrency: 1,
      },
    },
  };
}

/** Remaining time that drops by `perCall` each time it is asked, from `start`. */
function draining(start: number, perCall: number) {
  let left = start;
  return () => {
    const now = left;
    left -= perCall;
    return now;
  };
}

const plenty = () => 800_000;

/** Invokes, then every continuation it queued, to the end; every step's result. */
async function chain(w: World, first: unknown, remaining: () => () => number) {
  const results: RetentionInvocationResult[] = [];
  let event: unknown = first;
  for (let guard = 0; guard < 500; guard++) {
    const before = w.continued.length;
    results.push(await runRetentionInvocation(w.deps, event, remaining()));
    if (w.continued.length === before) return results;
    event = w.continued.at(-1);
  }
  throw new Error("chain did not end");
}

describe("retention-run payload", () => {
  it("defaults to a dry run: deleting needs dryRun false, said explicitly", () => {
    expect(parseRetentionPayload({})).toEqual({ dryRun: true });
    expect(parseRetentionPayload(undefined)).toEqual({ dryRun: true });
    expect(parseRetentionPayload({ dryRun: false, repositories: ["prod/**"] })).toEqual({
      dryRun: false,
      repositories: ["prod/**"],
    });
    expect(parseRetentionPayload('{"dryRun":false}')).toEqual({ dryRun: false });
  });

  it("accepts the EventBridge Scheduler input as it arrives, and refuses an EventBridge rule event", () => {
    expect(parseRetentionPayload({ dryRun: true, source: "schedule" })).toEqual({
      dryRun: true,
      source: "schedule",
    });
    const ruleEvent = {
      version: "0",
      id: "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
      "detail-type": "Scheduled Event",
      source: "aws.events",
      detail: {},
    };
    expect(() => parseRetentionPayload(ruleEvent)).toThrow(/EventBridge Scheduler/);
  });

  it.each([
    ["a misspelt dryRun", { dryrun: false }, "dryrun"],
    ["dryRun as a string", { dryRun: "false" }, "dryRun"],
    ["an empty glob list", { repositories: [] }, "repositories"],
    ["an empty glob", { repositories: [""] }, "repositories.0"],
    ["a glob with spaces", { repositories: ["prod /x"] }, "repositories.0"],
    ["a runId with a slash", { runId: "a/b" }, "runId"],
    ["continuation state without its run", { continuation: 2, cursor: "a" }, "continuation"],
    ["an unknown source", { source: "cron" }, "source"],
  ])("rejects %s, naming the field", (_label, payload, path) => {
    try {
      parseRetentionPayload(payload);
      expect.unreachable("accepted");
    } catch (err) {
      expect(err).toBeInstanceOf(RetentionPayloadError);
      const e = err as RetentionPayloadError;
      expect(e.code).toBe("RETENTION_PAYLOAD");
      expect(e.issues.map((i) => i.path)).toContain(path);
      expect(e.message).toMatch(/nothing was read or deleted/);
    }
  });

  it("suggests the field a misspelt one was meant as", () => {
    expect(() => parseRetentionPayload({ DryRun: false })).toThrow(/did you mean dryRun\?/);
    expect(() => parseRetentionPayload({ force: true })).toThrow(/allowed: dryRun, repositories/);
  });

  it.each([
    ["an array", [1]],
    ["a number", 7],
    ["a string that is not JSON", "dry run please"],
  ])("rejects %s as a whole", (_label, payload) => {
    expect(() => parseRetentionPayload(payload)).toThrow(RetentionPayloadError);
  });

  it("a bad payload reads nothing, deletes nothing, alerts nothing, continues nothing", async () => {
    const w = world({ "app/a": 3 });
    await expect(
      runRetentionInvocation(w.deps, { dryRun: "no", repositories: ["app/**"] }, plenty),
    ).rejects.toBeInstanceOf(RetentionPayloadError);
    expect(w.registry.inventoryCalls).toEqual([]);
    expect(w.registry.deleteCalls).toEqual([]);
    expect(w.alerts).toEqual([]);
    expect(w.continued).toEqual([]);
    expect(w.audit.all()).toEqual([]);
  });
});

describe("one invocation that finishes", () => {
  it("a dry run deletes and audits nothing, logs every repository's plan, alerts the plan", async () => {
    const w = world({ "app/a": 3, "app/b": 2 });
    const result = await runRetentionInvocation(w.deps, {}, plenty);
    expect(result).toMatchObject({
      runId: "run-1",
      dryRun: true,
      source: "manual",
      step: 1,
      repositories: 2,
      kept: 2,
      deleted: 3,
      failed: 0,
      continued: false,
    });
    expect(result.cursor).toBeUndefined();
    expect(w.registry.deleteCalls).toEqual([]);
    expect(w.audit.all()).toEqual([]);
    expect(w.alerts).toHaveLength(1);
    expect(w.alerts[0]?.attributes.eventType).toBe("retention-planned");
    const plans = w.logs.filter((l) => l.message === "retention plan");
    expect(plans.map((l) => l.extra.repository)).toEqual(["app/a", "app/b"]);
    const planA = plans[0]?.extra.plan as RepositoryPlan;
    expect(planA.artifacts.filter((a) => a.decision === "delete")).toHaveLength(2);
    const summaries = w.logs.filter((l) => l.message === "retention repository");
    expect(summaries.map((l) => [l.extra.repository, l.extra.plannedDeletions])).toEqual([
      ["app/a", 2],
      ["app/b", 1],
    ]);
  });

  it("applying deletes exactly the plan, only in the selected repositories", async () => {
    const w = world({ "app/a": 3, "app/b": 2, "other/c": 4 });
    const result = await runRetentionInvocation(
      w.deps,
      { dryRun: false, repositories: ["app/**"] },
      plenty,
    );
    expect(result).toMatchObject({ dryRun: false, repositories: 2, deleted: 3, continued: false });
    expect(w.registry.deletions.map((d) => d.repository).sort()).toEqual([
      "app/a",
      "app/a",
      "app/b",
    ]);
    expect(w.registry.deletions.map((d) => d.digest)).not.toContain(digest("app/a", 2));
    expect(w.alerts[0]?.attributes.eventType).toBe("retention-applied");
    // Applied runs log the summaries, not the full plans.
    expect(w.logs.some((l) => l.message === "retention plan")).toBe(false);
  });
});

describe("self-continuation", () => {
  it("near the time limit it queues its continuation with the cursor and does not alert", async () => {
    const w = world({ "app/a": 2, "app/b": 2, "app/c": 2 });
    // 200 s left when asked before app/b: above the 180 s margin; then 150 s: below it.
    const result = await runRetentionInvocation(
      w.deps,
      { dryRun: false, repositories: ["app/**"] },
      draining(200_000, 50_000),
    );
    expect(result).toMatchObject({ continued: true, cursor: "app/b", step: 1, deleted: 2 });
    expect(w.alerts).toEqual([]);
    expect(w.continued).toHaveLength(1);
    const next = w.continued[0] as RetentionPayload;
    expect(next).toMatchObject({
      dryRun: false,
      repositories: ["app/**"],
      cursor: "app/b",
      runId: "run-1",
      continuation: 1,
    });
    expect(next.totals).toMatchObject({ steps: 1, repositories: 2, deleted: 2 });
    // The continuation payload is one the function accepts as is.
    expect(parseRetentionPayload(next)).toEqual(next);
  });

  it("the last step alerts once with the whole run's totals", async () => {
    const w = world({ "app/a": 3, "app/b": 2, "app/c": 4, "app/d": 1 });
    const results = await chain(w, { dryRun: false }, () => () => 1_000);
    expect(results.map((r) => r.step)).toEqual([1, 2, 3, 4]);
    expect(results.slice(0, -1).every((r) => r.continued)).toBe(true);
    expect(new Set(results.map((r) => r.runId))).toEqual(new Set(["run-1"]));
    const last = results.at(-1) as RetentionInvocationResult;
    expect(last).toMatchObject({ continued: false, repositories: 4, deleted: 6, kept: 4 });
    expect(w.alerts).toHaveLength(1);
    const json = w.alerts[0]?.json as { totals: Record<string, number>; planId: string };
    expect(json.totals).toMatchObject({ repositories: 4, deleted: 6, kept: 4, artifacts: 10 });
    expect(json.planId).toBe("run-1");
    expect(w.registry.deletions).toHaveLength(6);
    // Every deletion is audited, once.
    expect(w.audit.all().filter((r) => r.eventType === "retention-applied")).toHaveLength(6);
  });

  it("a chain of any length deletes and reports what one uninterrupted run does", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 1, max: 60_000 }),
        async (sizes, drain) => {
          const repos = Object.fromEntries(sizes.map((n, i) => [`r/${i}`, n]));
          const once = world(repos);
          const oneShot = await runRetentionInvocation(once.deps, { dryRun: false }, plenty);
          const w = world(repos);
          const results = await chain(w, { dryRun: false }, () => draining(200_000, drain));
          const last = results.at(-1) as RetentionInvocationResult;
          expect(w.alerts).toHaveLength(1);
          expect(last.continued).toBe(false);
          for (const k of ["repositories", "kept", "deleted", "bytesReclaimed"] as const) {
            expect(last[k]).toBe(oneShot[k]);
          }
          const sorted = (x: { digest: string }[]) => x.map((d) => d.digest).sort();
          expect(sorted(w.registry.deletions)).toEqual(sorted(once.registry.deletions));
          // No repository is planned twice, none is skipped.
          expect(w.registry.inventoryCalls).toEqual(Object.keys(repos).sort());
        },
      ),
      { numRuns: 40 },
    );
  });

  it("stops after the bound, alerts with the cursor to resume from, and says so", async () => {
    const w = world({ a: 1, b: 1, c: 1, d: 1, e: 1 }, { maxContinuations: 2 });
    const results = await chain(w, {}, () => () => 1_000);
    expect(results.map((r) => r.continued)).toEqual([true, true, false]);
    const last = results.at(-1) as RetentionInvocationResult;
    expect(last).toMatchObject({ stopped: "max-continuations", cursor: "c", repositories: 3 });
    expect(w.alerts).toHaveLength(1);
    expect(w.alerts[0]?.json.cursor).toBe("c");
    // Resuming by hand with only the cursor finishes the rest as a new run.
    const resumed = await runRetentionInvocation(w.deps, { cursor: "c" }, plenty);
    expect(resumed).toMatchObject({ repositories: 2, continued: false, runId: "run-2" });
  });

  it("a continuation that cannot be queued fails the step without alerting", async () => {
    const w = world({ a: 2, b: 2 }, { failContinuation: true });
    await expect(runRetentionInvocation(w.deps, {}, () => 1_000)).rejects.toThrow(/throttled/);
    expect(w.alerts).toEqual([]);
  });

  it("keeps the carried lists bounded, whatever the run's size", async () => {
    const repos = Object.fromEntries(
      Array.from({ length: CARRIED_ITEMS + 10 }, (_, i) => [`r/${String(i).padStart(2, "0")}`, 2]),
    );
    const w = world(repos);
    const results = await chain(w, { dryRun: false }, () => () => 1_000);
    expect(results).toHaveLength(CARRIED_ITEMS + 10);
    for (const p of w.continued) {
      expect(p.totals?.topRepositories.length).toBeLessThanOrEqual(CARRIED_ITEMS);
      expect(JSON.stringify(p).length).toBeLessThan(64 * 1024);
    }
    expect(results.at(-1)?.deleted).toBe(CARRIED_ITEMS + 10);
  });
});

describe("in-use protection", () => {
  it("a digest a running task uses is kept even when no rule keeps it", async () => {
    const used = digest("app/a", 0);
    const inUse: InUseProvider = { name: "ecs", digestsInUse: async () => new Set([used]) };
    const w = world({ "app/a": 3 }, { policy: IN_USE_POLICY, inUse });
    const result = await runRetentionInvocation(w.deps, { dryRun: false }, plenty);
    expect(result.deleted).toBe(1);
    expect(w.registry.deletions.map((d) => d.digest)).toEqual([digest("app/a", 1)]);
  });
});

describe("plan log lines", () => {
  it("split a large plan by artifacts, each line under the budget, nothing lost", () => {
    const inv = inventory("big", 3000);
    const plan: RepositoryPlan = {
      registry: "ecr",
      registryId: inv.registryId,
      repository: "big",
      kept: 0,
      deleted: 3000,
      bytesReclaimed: 0,
      bytesUnknown: 0,
      artifacts: inv.artifacts.map((a) => ({
        digest: a.digest,
        tags: a.tags,
        role: "image" as const,
        decision: "delete" as const,
        reason: "not-retained" as const,
        detail: "x".repeat(100),
      })),
    };
    const parts = planLogParts(plan);
    expect(parts.length).toBeGreaterThan(1);
    for (const p of parts) expect(JSON.stringify(p).length).toBeLessThan(256 * 1024);
    expect(parts.flatMap((p) => p.artifacts)).toEqual(plan.artifacts);
    expect(planLogParts({ ...plan, artifacts: [] })).toEqual([{ ...plan, artifacts: [] }]);
  });
});
