import { describe, expect, it } from "vitest";
import type { PlanContext } from "../../shared/domain/plan-context.ts";
import { planRepository } from "../../shared/domain/plan-retention.ts";
import type { Artifact, RepositoryInventory } from "../../shared/domain/retention-inventory.ts";
import type { PlannedArtifact } from "../../shared/domain/retention-plan.ts";
import type { RetentionPolicy } from "../../shared/domain/retention-policy.ts";
import {
  daysAgo,
  digestOf,
  inventoryOf,
  legacyTag,
  PLAN_NOW,
  policyOf,
  ruleOf,
} from "../support/retention-arbitraries.ts";

const ctx: PlanContext = { now: PLAN_NOW, policyVersion: "test" };

function decide(
  artifacts: Artifact[],
  policy: RetentionPolicy,
  opts: { inv?: Partial<RepositoryInventory>; ctx?: Partial<PlanContext> } = {},
): Map<string, PlannedArtifact> {
  const plan = planRepository(inventoryOf(artifacts, opts.inv), policy, { ...ctx, ...opts.ctx });
  return new Map(plan.artifacts.map((a) => [a.digest, a]));
}

/** A rule that retains nothing of what these tests use: everything else is "not-retained". */
const keepOnlyRelease = ruleOf("always", undefined, {
  tags: { decoration: "matches", patterns: ["release-*"] },
});

const old = (i: number, more: Partial<Artifact> = {}): Artifact => ({
  digest: digestOf(i),
  tags: [`t${i}`],
  pushedAt: daysAgo(400),
  ...more,
});

describe("protections override the rules", () => {
  it("immutable tag: the whole artifact is kept, naming the tag and pattern", () => {
    const d = decide(
      [old(1, { tags: ["v1.2.3", "latest"] }), old(2, { tags: ["v1.2"] })],
      policyOf([keepOnlyRelease], { protections: { immutableTags: ["v*.*.*"], inUse: false } }),
    );
    expect(d.get(digestOf(1))).toMatchObject({
      decision: "keep",
      reason: "immutable-tag",
      detail: "kept: tag v1.2.3 matches the immutable tag pattern v*.*.*",
    });
    expect(d.get(digestOf(1))?.rule).toBeUndefined();
    expect(d.get(digestOf(2))?.decision).toBe("delete");
  });

  it("quarantined: kept until released", () => {
    const d = decide(
      [old(1, { quarantined: true, quarantinedAt: daysAgo(300) })],
      policyOf([keepOnlyRelease]),
    );
    expect(d.get(digestOf(1))).toMatchObject({ decision: "keep", reason: "quarantined" });
    expect(d.get(digestOf(1))?.detail).toContain("until someone releases it");
  });

  it("quarantine expiry: an older quarantine goes when nothing else keeps it", () => {
    const policy = policyOf([keepOnlyRelease], {
      protections: { immutableTags: [], inUse: false, quarantineExpiresAfterDays: 90 },
    });
    const d = decide(
      [
        old(1, { quarantined: true, quarantinedAt: daysAgo(91) }),
        old(2, { quarantined: true, quarantinedAt: daysAgo(89) }),
        old(3, { quarantined: true }),
        old(4, { quarantined: true, quarantinedAt: daysAgo(200), tags: ["release-4"] }),
      ],
      policy,
    );
    expect(d.get(digestOf(1))).toMatchObject({ decision: "delete", reason: "quarantine-expired" });
    expect(d.get(digestOf(1))?.detail).toMatch(
      /^deleted: quarantined since .*, past quarantineExpiresAfterDays 90; /,
    );
    expect(d.get(digestOf(2))).toMatchObject({ decision: "keep", reason: "quarantined" });
    expect(d.get(digestOf(3))).toMatchObject({ decision: "keep", reason: "quarantined" });
    expect(d.get(digestOf(3))?.detail).toContain("does not say since when");
    expect(d.get(digestOf(4))).toMatchObject({ decision: "keep", reason: "rule" });
  });

  it("an expired quarantine in a repository no rule covers is kept like any tagged image", () => {
    const policy = policyOf([], {
      protections: { immutableTags: [], inUse: false, quarantineExpiresAfterDays: 1 },
    });
    const d = decide([old(1, { quarantined: true, quarantinedAt: daysAgo(10) })], policy);
    expect(d.get(digestOf(1))?.reason).toBe("no-rule-for-repository");
  });

  it("in use: only when the policy asks for it and the provider reports the digest", () => {
    const artifacts = [old(1), old(2)];
    const inUse = new Set([digestOf(1)]);
    const on = policyOf([keepOnlyRelease], { protections: { immutableTags: [], inUse: true } });
    const off = policyOf([keepOnlyRelease], { protections: { immutableTags: [], inUse: false } });
    const d = decide(artifacts, on, { ctx: { inUse } });
    expect(d.get(digestOf(1))).toMatchObject({
      decision: "keep",
      reason: "in-use",
      detail: "kept: a running workload uses this digest",
    });
    expect(d.get(digestOf(2))?.decision).toBe("delete");
    expect(decide(artifacts, off, { ctx: { inUse } }).get(digestOf(1))?.decision).toBe("delete");
    expect(decide(artifacts, on).get(digestOf(1))?.decision).toBe("delete");
  });

  it("pulled recently: within pulledWithinDays is kept, older is not", () => {
    const policy = policyOf([keepOnlyRelease], {
      protections: { immutableTags: [], inUse: false, pulledWithinDays: 14 },
    });
    const d = decide(
      [
        old(1, { lastPulledAt: daysAgo(13) }),
        old(2, { lastPulledAt: daysAgo(15) }),
        old(3, { lastPulledAt: null }),
      ],
      policy,
    );
    expect(d.get(digestOf(1))).toMatchObject({ decision: "keep", reason: "pulled-recently" });
    expect(d.get(digestOf(1))?.detail).toBe(
      "kept: pulled within the last 14 days (pulledWithinDays 14)",
    );
    expect(d.get(digestOf(2))?.decision).toBe("delete");
    expect(d.get(digestOf(3))?.decision).toBe("delete");
  });

  it("reports the first protection in the contract's order", () => {
    const policy = policyOf([], {
      protections: { immutableTags: ["t*"], inUse: true, pulledWithinDays: 30 },
    });
    const everything = old(1, { quarantined: true, lastPulledAt: daysAgo(1) });
    const inUse = new Set([digestOf(1)]);
    expect(decide([everything], policy, { ctx: { inUse } }).get(digestOf(1))?.reason).toBe(
      "immutable-tag",
    );
    const untagged = { ...everything, tags: [] };
    expect(decide([untagged], policy, { ctx: { inUse } }).get(digestOf(1))?.reason).toBe(
      "quarantined",
    );
    const free = { ...untagged, quarantined: false };
    expect(decide([free], policy, { ctx: { inUse } }).get(digestOf(1))?.reason).toBe("in-use");
    expect(decide([free], policy).get(digestOf(1))?.reason).toBe("pulled-recently");
  });

  it("protects index children and referrers too, without keeping their parent or subject", () => {
    const index: Artifact = {
      digest: digestOf(1),
      tags: ["t1"],
      pushedAt: daysAgo(400),
      children: [digestOf(2)],
    };
    const child: Artifact = { digest: digestOf(2), tags: [], pushedAt: daysAgo(400) };
    const sig: Artifact = { digest: digestOf(3), tags: [], subject: digestOf(1) };
    const inUse = new Set([digestOf(2), digestOf(3)]);
    const policy = policyOf([keepOnlyRelease], { protections: { immutableTags: [], inUse: true } });
    const d = decide([index, child, sig], policy, { ctx: { inUse } });
    expect(d.get(digestOf(1))?.decision).toBe("delete");
    expect(d.get(digestOf(2))?.reason).toBe("in-use");
    expect(d.get(digestOf(3))?.reason).toBe("in-use");
  });
});

describe("protected artifacts stand outside the rules", () => {
  it("take none of a rule's K places", () => {
    const policy = policyOf([ruleOf("latestPushedK", 2)], {
      protections: { immutableTags: ["v*.*.*"], inUse: false },
    });
    const d = decide(
      [
        old(1, { tags: ["v1.0.0"], pushedAt: daysAgo(1) }),
        old(2, { pushedAt: daysAgo(2) }),
        old(3, { pushedAt: daysAgo(3) }),
        old(4, { pushedAt: daysAgo(4) }),
      ],
      policy,
    );
    expect([1, 2, 3, 4].map((i) => d.get(digestOf(i))?.reason)).toEqual([
      "immutable-tag",
      "rule",
      "rule",
      "not-retained",
    ]);
  });

  it("so a protected child left by its deleted index changes nothing on the next run", () => {
    const policy = policyOf([ruleOf("latestPushedK", 1, { untagged: true })], {
      protections: { immutableTags: [], inUse: true },
    });
    const inUse = new Set([digestOf(3)]);
    const artifacts: Artifact[] = [
      { digest: digestOf(1), tags: ["new"], pushedAt: daysAgo(1) },
      { digest: digestOf(2), tags: ["multi"], pushedAt: daysAgo(5), children: [digestOf(3)] },
      { digest: digestOf(3), tags: [], pushedAt: daysAgo(0) },
    ];
    const first = decide(artifacts, policy, { ctx: { inUse } });
    expect([1, 2, 3].map((i) => first.get(digestOf(i))?.reason)).toEqual([
      "rule",
      "not-retained",
      "in-use",
    ]);
    const left = artifacts.filter((a) => first.get(a.digest)?.decision === "keep");
    const second = decide(left, policy, { ctx: { inUse } });
    expect([...second.values()].map((a) => a.decision)).toEqual(["keep", "keep"]);
  });
});

describe("garbage collection", () => {
  const gc = (untaggedOlderThanDays?: number, orphanReferrers = true) =>
    policyOf([], {
      gc: { orphanReferrers, ...(untaggedOlderThanDays ? { untaggedOlderThanDays } : {}) },
    });

  it("untagged images older than the days go in a repository no rule covers; younger stay", () => {
    const d = decide(
      [
        { digest: digestOf(1), tags: [], pushedAt: daysAgo(8), sizeBytes: 100 },
        { digest: digestOf(2), tags: [], pushedAt: daysAgo(6) },
        { digest: digestOf(3), tags: [] },
        { digest: digestOf(4), tags: ["kept"], pushedAt: daysAgo(100) },
      ],
      gc(7),
    );
    expect(d.get(digestOf(1))).toMatchObject({ decision: "delete", reason: "untagged-expired" });
    expect(d.get(digestOf(1))?.detail).toBe(
      "deleted: untagged, and pushed more than untaggedOlderThanDays 7 days ago",
    );
    expect(d.get(digestOf(2))).toMatchObject({ decision: "keep", reason: "untagged-too-young" });
    expect(d.get(digestOf(3))).toMatchObject({ decision: "keep", reason: "untagged-too-young" });
    expect(d.get(digestOf(3))?.detail).toContain("does not say when it was pushed");
    expect(d.get(digestOf(4))?.reason).toBe("no-rule-for-repository");
  });

  it("without untaggedOlderThanDays, untagged images in uncovered repositories stay", () => {
    const d = decide([{ digest: digestOf(1), tags: [], pushedAt: daysAgo(800) }], gc());
    expect(d.get(digestOf(1))?.reason).toBe("no-rule-for-repository");
  });

  it("collects untagged indexes with their children, but never a child on its own", () => {
    const d = decide(
      [
        { digest: digestOf(1), tags: [], pushedAt: daysAgo(30), children: [digestOf(2)] },
        { digest: digestOf(2), tags: [], pushedAt: daysAgo(30) },
        { digest: digestOf(3), tags: ["multi"], pushedAt: daysAgo(30), children: [digestOf(4)] },
        { digest: digestOf(4), tags: [], pushedAt: daysAgo(30) },
      ],
      gc(7),
    );
    expect(d.get(digestOf(1))?.reason).toBe("untagged-expired");
    expect(d.get(digestOf(2))?.reason).toBe("child-of-deleted-index");
    expect(d.get(digestOf(3))?.reason).toBe("no-rule-for-repository");
    expect(d.get(digestOf(4))?.reason).toBe("child-of-kept-index");
  });

  it("orphaned referrers go with orphanReferrers, by OCI subject and by legacy tag", () => {
    const gone = digestOf(99);
    const artifacts: Artifact[] = [
      { digest: digestOf(1), tags: [], subject: gone, sizeBytes: 10 },
      { digest: digestOf(2), tags: [legacyTag(gone, "att")] },
    ];
    const on = decide(artifacts, gc(undefined, true));
    expect(on.get(digestOf(1))).toMatchObject({ decision: "delete", reason: "orphan-referrer" });
    expect(on.get(digestOf(2))).toMatchObject({ decision: "delete", reason: "orphan-referrer" });
    expect(on.get(digestOf(2))?.detail).toBe(
      `deleted: refers by its legacy cosign tag to ${gone.slice(0, 19)}, which is not in this repository (gc.orphanReferrers)`,
    );
    expect(on.get(digestOf(1))?.detail).not.toContain("legacy");
    const off = decide(artifacts, gc(undefined, false));
    expect(off.get(digestOf(1))).toMatchObject({ decision: "keep", reason: "placement-unknown" });
    expect(off.get(digestOf(1))?.detail).toContain("gc.orphanReferrers is false");
  });

  it("in a covered repository an untagged image is a rule matter: not retained unless included", () => {
    const artifacts: Artifact[] = [{ digest: digestOf(1), tags: [], pushedAt: daysAgo(1) }];
    const covered = policyOf([ruleOf("always")], {
      gc: { orphanReferrers: true, untaggedOlderThanDays: 7 },
    });
    expect(decide(artifacts, covered).get(digestOf(1))?.reason).toBe("not-retained");
    const included = policyOf([ruleOf("nDaysSinceLastPush", 3, { untagged: true })], {
      gc: { orphanReferrers: true, untaggedOlderThanDays: 7 },
    });
    expect(decide(artifacts, included).get(digestOf(1))?.reason).toBe("rule");
  });

  it("counts bytes reclaimed and deletions of unknown size", () => {
    const plan = planRepository(
      inventoryOf([
        { digest: digestOf(1), tags: [], pushedAt: daysAgo(30), sizeBytes: 1000 },
        { digest: digestOf(2), tags: [], pushedAt: daysAgo(30), sizeBytes: 24 },
        { digest: digestOf(3), tags: [], pushedAt: daysAgo(30) },
        { digest: digestOf(4), tags: ["x"], pushedAt: daysAgo(30), sizeBytes: 5000 },
      ]),
      gc(7),
      ctx,
    );
    expect(plan).toMatchObject({ kept: 1, deleted: 3, bytesReclaimed: 1024, bytesUnknown: 1 });
  });
});
