import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { MemoryAuditLog } from "../../shared/adapters/memory/memory-audit-log.ts";
import { MemoryRetentionRegistry } from "../../shared/adapters/memory/memory-retention-registry.ts";
import { planRetention } from "../../shared/domain/plan-retention.ts";
import { type LoadedPolicy, loadPolicy } from "../../shared/domain/policy-load.ts";
import type { Artifact, RepositoryInventory } from "../../shared/domain/retention-inventory.ts";
import type { RetentionPlan } from "../../shared/domain/retention-plan.ts";
import { retentionPolicyOf } from "../../shared/domain/retention-policy-of.ts";
import type { Alert } from "../../shared/ports.ts";
import { applyPlan } from "../../shared/retention/apply-plan.ts";
import { runRetention } from "../../shared/retention/run-retention.ts";
import { REGISTRY_ID, silentLog, T0 } from "../support/retention-apply-fixtures.ts";

/*
 * Properties of plan-then-apply over random registries and policies. The arbitraries are small
 * on purpose (a few repositories of a dozen manifests, tags drawn from a short list) so rules,
 * indexes, referrers and protections collide often.
 */

const DAY = 86_400_000;
const TAGS = ["latest", "v1", "v2", "v3", "release-1", "dev-1", "dev-2"];
const REPOS = ["a/api", "a/web", "b/tool"];

const hex = (repo: number, n: number) =>
  `sha256:${(repo * 1000 + n).toString(16).padStart(64, "0")}`;

interface ArtifactSpec {
  kind: "image" | "index" | "referrer";
  pushedDaysAgo: number | null;
  pulledDaysAgo: number | null | undefined;
  size: number | null;
  quarantined: boolean;
  /** For an index: which other manifests it lists; for a referrer: its subject (may be missing). */
  links: number[];
}

const artifactSpec: fc.Arbitrary<ArtifactSpec> = fc.record({
  kind: fc.constantFrom<ArtifactSpec["kind"]>("image", "image", "image", "index", "referrer"),
  pushedDaysAgo: fc.option(fc.integer({ min: 0, max: 60 }), { nil: null, freq: 8 }),
  pulledDaysAgo: fc.oneof(
    fc.constant(undefined),
    fc.constant(null),
    fc.integer({ min: 0, max: 60 }),
  ),
  size: fc.option(fc.integer({ min: 1, max: 5_000_000 }), { nil: null, freq: 8 }),
  quarantined: fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
  links: fc.array(fc.integer({ min: 0, max: 15 }), { maxLength: 3 }),
});

const repositoryArb = (r: number): fc.Arbitrary<RepositoryInventory> =>
  fc
    .record({
      specs: fc.array(artifactSpec, { maxLength: 12 }),
      // Each tag is on at most one manifest (a tag names one digest).
      tagOwners: fc.array(fc.option(fc.integer({ min: 0, max: 11 }), { nil: null }), {
        minLength: TAGS.length,
        maxLength: TAGS.length,
      }),
    })
    .map(({ specs, tagOwners }) => {
      const arts: Artifact[] = specs.map((s, i) => ({
        digest: hex(r, i),
        tags: [],
        ...(s.pushedDaysAgo !== null
          ? { pushedAt: new Date(T0 - s.pushedDaysAgo * DAY - i * 1000).toISOString() }
          : {}),
        ...(s.pulledDaysAgo !== undefined
          ? {
              lastPulledAt:
                s.pulledDaysAgo === null
                  ? null
                  : new Date(T0 - s.pulledDaysAgo * DAY).toISOString(),
            }
          : {}),
        ...(s.size !== null ? { sizeBytes: s.size } : {}),
        ...(s.quarantined ? { quarantined: true } : {}),
      }));
      specs.forEach((s, i) => {
        const a = arts[i] as Artifact;
        if (s.kind === "index") {
          const children = [...new Set(s.links)]
            .filter((c) => c !== i && c < specs.length && specs[c]?.kind === "image")
            .map((c) => hex(r, c));
          if (children.length) {
            a.children = children;
            a.mediaType = "application/vnd.oci.image.index.v1+json";
          }
        } else if (s.kind === "referrer" && s.links.length) {
          const target = s.links[0] as number;
          a.subject = hex(r, target === i ? 999 : target);
          a.artifactType = "application/vnd.dev.cosign.artifact.sig.v1+json";
        }
      });
      tagOwners.forEach((owner, t) => {
        if (owner !== null && owner < arts.length && !arts[owner]?.subject) {
          arts[owner]?.tags.push(TAGS[t] as string);
        }
      });
      return {
        registry: "ecr" as const,
        registryId: REGISTRY_ID,
        region: "eu-west-1",
        repository: REPOS[r] as string,
        artifacts: arts,
        manifestsKnown: true,
        pullTimesKnown: true,
      };
    });

const inventoriesArb = fc.tuple(repositoryArb(0), repositoryArb(1), repositoryArb(2));

const selector = (choices: string[]) =>
  fc.oneof(
    fc.constant(undefined),
    fc.record({ matches: fc.subarray(choices, { minLength: 1 }) }),
    fc.record({ excludes: fc.subarray(choices, { minLength: 1 }) }),
  );

const ruleArb = fc
  .record({
    keep: fc.constantFrom(
      "latestPushedK",
      "latestPulledN",
      "nDaysSinceLastPush",
      "nDaysSinceLastPull",
      "always",
    ),
    n: fc.integer({ min: 1, max: 30 }),
    tags: selector(["v*", "latest", "release-*", "**"]),
    untagged: fc.boolean(),
    repositories: selector(["a/**", "b/*", "a/api", "**"]),
  })
  .map(({ keep, n, tags, untagged, repositories }) => ({
    keep,
    ...(keep === "latestPushedK" || keep === "latestPulledN" ? { count: Math.min(n, 5) } : {}),
    ...(keep === "nDaysSinceLastPush" || keep === "nDaysSinceLastPull" ? { days: n } : {}),
    ...(tags ? { tags } : {}),
    untagged,
    ...(repositories ? { repositories } : {}),
  }));

const policyArb: fc.Arbitrary<LoadedPolicy> = fc
  .record({
    rules: fc.array(ruleArb, { maxLength: 3 }),
    immutableTags: fc.subarray(["release-*", "latest"]),
    pulledWithinDays: fc.option(fc.integer({ min: 1, max: 30 }), { nil: undefined }),
    quarantineExpiresAfterDays: fc.option(fc.integer({ min: 1, max: 30 }), { nil: undefined }),
    untaggedOlderThanDays: fc.option(fc.integer({ min: 1, max: 30 }), { nil: undefined }),
    orphanReferrers: fc.boolean(),
  })
  .map((p) => {
    const protections = {
      ...(p.immutableTags.length ? { immutableTags: p.immutableTags } : {}),
      ...(p.pulledWithinDays ? { pulledWithinDays: p.pulledWithinDays } : {}),
      ...(p.quarantineExpiresAfterDays
        ? { quarantineExpiresAfterDays: p.quarantineExpiresAfterDays }
        : {}),
    };
    const doc = {
      version: 1,
      retention: {
        rules: p.rules,
        ...(Object.keys(protections).length ? { protections } : {}),
        gc: {
          ...(p.untaggedOlderThanDays ? { untaggedOlderThanDays: p.untaggedOlderThanDays } : {}),
          orphanReferrers: p.orphanReferrers,
        },
      },
    };
    return loadPolicy(stringify(doc), "registry-guard.yaml");
  });

function world(inventories: RepositoryInventory[], policy: LoadedPolicy) {
  const registry = new MemoryRetentionRegistry("ecr", REGISTRY_ID, inventories);
  const clock = () => new Date(T0);
  const audit = new MemoryAuditLog({ clock });
  const published: Alert[] = [];
  const alerts = {
    publish: async (a: Alert) => {
      published.push(a);
      return {};
    },
  };
  return {
    registry,
    audit,
    published,
    deps: { registry, audit, log: silentLog, clock, policy, alerts },
  };
}

function planOf(inventories: RepositoryInventory[], policy: LoadedPolicy): RetentionPlan {
  return planRetention(inventories, retentionPolicyOf(policy), {
    now: new Date(T0),
    policyVersion: policy.version,
  });
}

const key = (repository: string, digest: string) => `${repository}@${digest}`;

function decisions(plan: RetentionPlan) {
  const del = new Set<string>();
  const keep = new Set<string>();
  for (const rp of plan.repositories) {
    for (const a of rp.artifacts) {
      (a.decision === "delete" ? del : keep).add(key(rp.repository, a.digest));
    }
  }
  return { del, keep };
}

const present = (r: MemoryRetentionRegistry) =>
  new Set(r.snapshot().flatMap((inv) => inv.artifacts.map((a) => key(inv.repository, a.digest))));

const RUNS = { numRuns: 120 };

describe("retention apply properties", () => {
  it("apply equals plan: exactly the planned deletions go, everything kept stays", async () => {
    await fc.assert(
      fc.asyncProperty(inventoriesArb, policyArb, async (invs, policy) => {
        const plan = planOf(invs, policy);
        const { del, keep } = decisions(plan);
        const { registry, audit, deps } = world(invs, policy);
        const result = await runRetention(deps, { apply: true });
        expect(result.plan.totals).toEqual(plan.totals);
        const deleted = registry.deletions.map((d) => key(d.repository, d.digest));
        expect(new Set(deleted)).toEqual(del);
        expect(deleted).toHaveLength(del.size);
        const now = present(registry);
        for (const k of keep) expect(now.has(k)).toBe(true);
        expect(result.applied).toMatchObject({ alreadyGone: 0, failed: [], skipped: [] });
        expect(audit.all()).toHaveLength(del.size);
      }),
      RUNS,
    );
  });

  it("a second run at the same time deletes nothing", async () => {
    await fc.assert(
      fc.asyncProperty(inventoriesArb, policyArb, async (invs, policy) => {
        const { registry, deps } = world(invs, policy);
        await runRetention(deps, { apply: true });
        const calls = registry.deleteCalls.length;
        const again = await runRetention(deps, { apply: true });
        expect(again.plan.totals.deleted).toBe(0);
        expect(again.applied?.deleted).toBe(0);
        expect(registry.deleteCalls.length).toBe(calls);
      }),
      RUNS,
    );
  });

  it("a dry run never writes: registry unchanged, audit empty, no alert", async () => {
    await fc.assert(
      fc.asyncProperty(inventoriesArb, policyArb, async (invs, policy) => {
        const { registry, audit, published, deps } = world(invs, policy);
        const before = registry.snapshot();
        const result = await runRetention(deps, { apply: false });
        expect(result.plan.totals).toEqual(planOf(invs, policy).totals);
        expect(registry.snapshot()).toEqual(before);
        expect(registry.deleteCalls).toEqual([]);
        expect(audit.all()).toEqual([]);
        expect(published).toEqual([]);
      }),
      RUNS,
    );
  });

  it("crash after k deletions, then rerun of the plan: same end state, nothing deleted twice", async () => {
    await fc.assert(
      fc.asyncProperty(
        inventoriesArb,
        policyArb,
        fc.nat({ max: 30 }),
        fc.integer({ min: 1, max: 4 }),
        async (invs, policy, k, concurrency) => {
          const plan = planOf(invs, policy);
          const clean = world(invs, policy);
          await applyPlan(plan, clean.deps);

          const { registry, audit, deps } = world(invs, policy);
          registry.crashAfter(k);
          const first = await applyPlan(plan, deps, { concurrency });
          expect(first.deleted).toBe(Math.min(k, plan.totals.deleted));
          registry.crashAfter(undefined);
          const asked = registry.deleteCalls.length;
          await applyPlan(plan, deps, { concurrency });

          expect(registry.snapshot()).toEqual(clean.registry.snapshot());
          const deleted = registry.deletions.map((d) => key(d.repository, d.digest));
          expect(new Set(deleted).size).toBe(deleted.length);
          // The rerun asked only for what was still there.
          const firstRun = new Set(deleted.slice(0, first.deleted));
          for (const call of registry.deleteCalls.slice(asked)) {
            for (const d of call.digests) expect(firstRun.has(key(call.repository, d))).toBe(false);
          }
          const records = audit.all().map((r) => key(r.repository, r.digest));
          expect(new Set(records)).toEqual(decisions(plan).del);
          expect(records).toHaveLength(decisions(plan).del.size);
        },
      ),
      RUNS,
    );
  });

  it("a crashed scheduled run, run again, deletes nothing twice and nothing the plan kept", async () => {
    await fc.assert(
      fc.asyncProperty(inventoriesArb, policyArb, fc.nat({ max: 20 }), async (invs, policy, k) => {
        const { keep } = decisions(planOf(invs, policy));
        const { registry, deps } = world(invs, policy);
        registry.crashAfter(k);
        await runRetention(deps, { apply: true });
        registry.crashAfter(undefined);
        await runRetention(deps, { apply: true });
        const deleted = registry.deletions.map((d) => key(d.repository, d.digest));
        expect(new Set(deleted).size).toBe(deleted.length);
        for (const d of deleted) expect(keep.has(d)).toBe(false);
      }),
      RUNS,
    );
  });

  it("failures are reported, never thrown, and nothing outside the plan is touched", async () => {
    await fc.assert(
      fc.asyncProperty(
        inventoriesArb,
        policyArb,
        fc.array(fc.tuple(fc.nat({ max: 2 }), fc.nat({ max: 11 })), { maxLength: 6 }),
        fc.option(fc.nat({ max: 20 }), { nil: undefined }),
        async (invs, policy, faults, crash) => {
          const plan = planOf(invs, policy);
          const { del } = decisions(plan);
          const { registry, deps } = world(invs, policy);
          for (const [r, n] of faults) registry.failOn(hex(r, n), "InjectedFailure", "test");
          registry.crashAfter(crash);
          const before = present(registry);
          const result = await applyPlan(plan, deps);

          for (const call of registry.deleteCalls) {
            for (const d of call.digests) expect(del.has(key(call.repository, d))).toBe(true);
          }
          const now = present(registry);
          for (const k of before) if (!del.has(k)) expect(now.has(k)).toBe(true);
          for (const f of result.failed) expect(now.has(key(f.repository, f.digest))).toBe(true);
          expect(
            result.deleted + result.alreadyGone + result.failed.length + result.skipped.length,
          ).toBe(del.size);
          expect(before.size - now.size).toBe(result.deleted);
        },
      ),
      RUNS,
    );
  });

  it("changes after the plan never break an index and never delete a re-tagged digest", async () => {
    await fc.assert(
      fc.asyncProperty(
        inventoriesArb,
        policyArb,
        fc.array(
          fc.record({
            repo: fc.nat({ max: 2 }),
            n: fc.nat({ max: 11 }),
            tag: fc.constantFrom(...TAGS),
          }),
          { maxLength: 4 },
        ),
        fc.array(fc.record({ repo: fc.nat({ max: 2 }), children: fc.array(fc.nat({ max: 11 })) }), {
          maxLength: 2,
        }),
        async (invs, policy, retags, newIndexes) => {
          const plan = planOf(invs, policy);
          const { registry, deps } = world(invs, policy);
          const retagged = new Set<string>();
          for (const { repo, n, tag } of retags) {
            const name = REPOS[repo] as string;
            if (!registry.has(name, hex(repo, n))) continue;
            const inv = registry.snapshot().find((i) => i.repository === name);
            const a = inv?.artifacts.find((x) => x.digest === hex(repo, n));
            registry.retag(name, hex(repo, n), [...(a?.tags ?? []), `${tag}-moved`]);
            retagged.add(key(name, hex(repo, n)));
          }
          newIndexes.forEach(({ repo, children }, i) => {
            registry.push(REPOS[repo] as string, {
              digest: hex(repo, 500 + i),
              tags: [`new-${i}`],
              children: children.map((c) => hex(repo, c)),
            });
          });
          const before = registry.snapshot();
          await applyPlan(plan, deps);

          const deleted = new Set(registry.deletions.map((d) => key(d.repository, d.digest)));
          for (const k of retagged) expect(deleted.has(k)).toBe(false);
          for (const inv of registry.snapshot()) {
            const had = new Set(
              before.find((b) => b.repository === inv.repository)?.artifacts.map((a) => a.digest),
            );
            for (const a of inv.artifacts) {
              for (const c of a.children ?? []) {
                if (had.has(c)) expect(registry.has(inv.repository, c)).toBe(true);
              }
            }
          }
        },
      ),
      RUNS,
    );
  });
});
