import { describe, expect, it } from "vitest";
import { planRepository, planRetention } from "../../shared/domain/plan-retention.ts";
import type { Artifact, RepositoryInventory } from "../../shared/domain/retention-inventory.ts";
import type { PlannedArtifact } from "../../shared/domain/retention-plan.ts";
import type { RetentionPolicy } from "../../shared/domain/retention-policy.ts";
import {
  daysAgo,
  digestOf,
  inventoryOf,
  PLAN_NOW,
  policyOf,
  ruleOf,
} from "../support/retention-arbitraries.ts";

// Rule semantics written from Harbor's "Create Tag Retention Rules" page (examples 1 to 5 and
// the note on tags sharing a digest) and its evaluators (src/pkg/retention/policy/rule/*).

const ctx = { now: PLAN_NOW, policyVersion: "test" };

function decisions(
  inv: RepositoryInventory,
  policy: RetentionPolicy,
): Map<string, PlannedArtifact> {
  const plan = planRepository(inv, policy, ctx);
  return new Map(plan.artifacts.map((a) => [a.digest, a]));
}

function keptDigests(inv: RepositoryInventory, policy: RetentionPolicy): string[] {
  return [...decisions(inv, policy).values()]
    .filter((a) => a.decision === "keep")
    .map((a) => a.digest)
    .sort();
}

/** `n` tagged images pushed i days ago (i = 0..n-1), tags t0, t1, … */
function images(n: number, extra: (i: number) => Partial<Artifact> = () => ({})): Artifact[] {
  return Array.from({ length: n }, (_, i) => ({
    digest: digestOf(i),
    tags: [`t${i}`],
    pushedAt: daysAgo(i),
    ...extra(i),
  }));
}

describe("Harbor's documented examples", () => {
  // Repository A: 102 artifacts, 2 untagged, all pulled in the last week. B to E: 7 artifacts,
  // 1 untagged, none pulled in the last month.
  const repoA = inventoryOf(
    Array.from({ length: 102 }, (_, i) => ({
      digest: digestOf(i, 0xa),
      tags: i < 100 ? [`a${i}`] : [],
      pushedAt: daysAgo(30 + i),
      lastPulledAt: daysAgo(i / 20),
    })),
    { repository: "project/a" },
  );
  const others = ["b", "c", "d", "e"].map((name, r) =>
    inventoryOf(
      Array.from({ length: 7 }, (_, i) => ({
        digest: digestOf(i, 0xb0 + r),
        tags: i < 6 ? [`${name}${i}`] : [],
        pushedAt: daysAgo(60 + i),
        lastPulledAt: daysAgo(40 + i),
      })),
      { repository: `project/${name}` },
    ),
  );
  const all = [repoA, ...others];
  const keptPer = (policy: RetentionPolicy) =>
    planRetention(all, policy, ctx).repositories.map((r) => [r.repository, r.kept]);

  it("example 1: the 10 most recently pulled per repository, untagged left out: 34 kept", () => {
    const policy = policyOf([ruleOf("latestPulledN", 10)]);
    expect(keptPer(policy)).toEqual([
      ["project/a", 10],
      ["project/b", 6],
      ["project/c", 6],
      ["project/d", 6],
      ["project/e", 6],
    ]);
    const a = decisions(repoA, policy);
    // The ten most recently pulled are a0..a9; every untagged artifact is deleted.
    for (let i = 0; i < 102; i++) {
      expect(a.get(digestOf(i, 0xa))?.decision, `a${i}`).toBe(i < 10 ? "keep" : "delete");
    }
  });

  it("example 2: pulled within 7 days keeps A's 100 tagged artifacts, nothing of B to E", () => {
    const policy = policyOf([ruleOf("nDaysSinceLastPull", 7)]);
    expect(keptPer(policy).map(([, kept]) => kept)).toEqual([100, 0, 0, 0, 0]);
  });

  it("example 3: with untagged artifacts included, all of A is kept", () => {
    const policy = policyOf([ruleOf("nDaysSinceLastPull", 7, { untagged: true })]);
    expect(keptPer(policy).map(([, kept]) => kept)).toEqual([102, 0, 0, 0, 0]);
  });

  it("example 4: two rules combine with OR", () => {
    const policy = policyOf([ruleOf("nDaysSinceLastPull", 7), ruleOf("latestPulledN", 10)]);
    expect(keptPer(policy).map(([, kept]) => kept)).toEqual([100, 6, 6, 6, 6]);
  });

  it("example 5: '2*' or '*-prod' among 12 tags keeps 8", () => {
    const tags = ["2.1", "2.2", "3.1", "4.4"].flatMap((v) =>
      ["prod", "rc", "release"].map((kind) => `${v}-your_repo-${kind}`),
    );
    const inv = inventoryOf(
      tags.map((tag, i) => ({ digest: digestOf(i), tags: [tag], pushedAt: daysAgo(i) })),
    );
    const policy = policyOf([
      ruleOf("latestPushedK", 10, { tags: { decoration: "matches", patterns: ["2*"] } }),
      ruleOf("latestPushedK", 10, { tags: { decoration: "matches", patterns: ["*-prod"] } }),
    ]);
    const kept = [...decisions(inv, policy).values()]
      .filter((a) => a.decision === "keep")
      .flatMap((a) => a.tags)
      .sort();
    expect(kept).toEqual(
      [
        "2.1-your_repo-prod",
        "2.1-your_repo-rc",
        "2.1-your_repo-release",
        "2.2-your_repo-prod",
        "2.2-your_repo-rc",
        "2.2-your_repo-release",
        "3.1-your_repo-prod",
        "4.4-your_repo-prod",
      ].sort(),
    );
  });

  it("tags sharing a digest: one retained tag keeps the artifact and all its tags", () => {
    const shared = {
      digest: digestOf(1),
      tags: ["harbor-1.8", "harbor-release", "harbor-nightly", "harbor-latest"],
      pushedAt: daysAgo(1),
    };
    const inv = inventoryOf([
      shared,
      { digest: digestOf(2), tags: ["harbor-old"], pushedAt: daysAgo(2) },
      { digest: digestOf(3), tags: ["harbor-older"], pushedAt: daysAgo(3) },
    ]);
    const policy = policyOf([
      ruleOf("latestPushedK", 2, { tags: { decoration: "matches", patterns: ["harbor-*"] } }),
    ]);
    const d = decisions(inv, policy);
    expect(d.get(digestOf(1))).toMatchObject({
      decision: "keep",
      reason: "rule",
      tags: [...shared.tags].sort(),
    });
    expect(d.get(digestOf(2))?.decision).toBe("keep");
    expect(d.get(digestOf(3))?.decision).toBe("delete");
  });
});

describe("latestPushedK", () => {
  it("keeps the K most recently pushed and deletes the rest, naming the rule", () => {
    const inv = inventoryOf(images(5));
    const d = decisions(inv, policyOf([ruleOf("latestPushedK", 3)]));
    expect(keptDigests(inv, policyOf([ruleOf("latestPushedK", 3)]))).toEqual(
      [0, 1, 2].map((i) => digestOf(i)),
    );
    expect(d.get(digestOf(0))).toMatchObject({
      reason: "rule",
      rule: { index: 0, template: "latestPushedK" },
      detail: "kept by rule 0 (latestPushedK 3): among the 3 most recently pushed",
    });
    expect(d.get(digestOf(4))).toMatchObject({
      decision: "delete",
      reason: "not-retained",
      rule: { index: 0, template: "latestPushedK" },
    });
    expect(d.get(digestOf(4))?.detail).toContain("rule 0 (latestPushedK 3)");
    expect(d.get(digestOf(4))?.detail).toContain("not among the 3 most recently pushed");
  });

  it("breaks equal push times by digest, in any input order", () => {
    const same = daysAgo(1);
    const artifacts = [3, 1, 2, 0].map((i) => ({
      digest: digestOf(i),
      tags: [`t${i}`],
      pushedAt: same,
    }));
    const policy = policyOf([ruleOf("latestPushedK", 2)]);
    expect(keptDigests(inventoryOf(artifacts), policy)).toEqual([digestOf(0), digestOf(1)]);
    expect(keptDigests(inventoryOf([...artifacts].reverse()), policy)).toEqual([
      digestOf(0),
      digestOf(1),
    ]);
  });

  it("keeps an artifact whose push time is unknown, without spending one of the K", () => {
    const artifacts = images(3);
    const unknown: Artifact = { digest: digestOf(9), tags: ["mystery"] };
    const d = decisions(
      inventoryOf([...artifacts, unknown]),
      policyOf([ruleOf("latestPushedK", 2)]),
    );
    expect(d.get(digestOf(9))).toMatchObject({ decision: "keep", reason: "rule" });
    expect(d.get(digestOf(9))?.detail).toContain("does not say when it was pushed");
    expect(d.get(digestOf(0))?.decision).toBe("keep");
    expect(d.get(digestOf(1))?.decision).toBe("keep");
    expect(d.get(digestOf(2))?.decision).toBe("delete");
  });
});

describe("latestPulledN", () => {
  it("keeps the N most recently pulled; never-pulled artifacts rank last but fill free places", () => {
    const artifacts = images(4, (i) => ({ lastPulledAt: i === 0 ? null : daysAgo(10 - i) }));
    const two = decisions(inventoryOf(artifacts), policyOf([ruleOf("latestPulledN", 2)]));
    expect(two.get(digestOf(3))?.decision).toBe("keep");
    expect(two.get(digestOf(2))?.decision).toBe("keep");
    expect(two.get(digestOf(1))?.decision).toBe("delete");
    expect(two.get(digestOf(0))?.decision).toBe("delete");
    const four = decisions(inventoryOf(artifacts), policyOf([ruleOf("latestPulledN", 4)]));
    expect(four.get(digestOf(0))?.decision).toBe("keep");
  });

  it("keeps every candidate when the registry records no pulls, and says so", () => {
    const inv = inventoryOf(images(5), { pullTimesKnown: false, registry: "oci" });
    const d = decisions(inv, policyOf([ruleOf("latestPulledN", 1)]));
    expect([...d.values()].every((a) => a.decision === "keep")).toBe(true);
    expect(d.get(digestOf(4))?.detail).toBe(
      "kept by rule 0 (latestPulledN 1): the registry records no pulls, so pull rules keep every candidate",
    );
  });

  it("keeps an artifact whose last pull is not reported, without spending one of the N", () => {
    const artifacts = images(3, (i) => (i === 2 ? {} : { lastPulledAt: daysAgo(i) }));
    const d = decisions(inventoryOf(artifacts), policyOf([ruleOf("latestPulledN", 1)]));
    expect(d.get(digestOf(0))?.decision).toBe("keep");
    expect(d.get(digestOf(1))?.decision).toBe("delete");
    expect(d.get(digestOf(2))?.detail).toContain("does not say when it was last pulled");
  });
});

describe("nDaysSinceLastPush and nDaysSinceLastPull", () => {
  it("push: keeps pushed within the days, the bound included; unknown push kept", () => {
    const artifacts: Artifact[] = [
      { digest: digestOf(0), tags: ["a"], pushedAt: daysAgo(29.9) },
      { digest: digestOf(1), tags: ["b"], pushedAt: daysAgo(30) },
      { digest: digestOf(2), tags: ["c"], pushedAt: daysAgo(30.01) },
      { digest: digestOf(3), tags: ["d"] },
    ];
    const d = decisions(inventoryOf(artifacts), policyOf([ruleOf("nDaysSinceLastPush", 30)]));
    expect([0, 1, 2, 3].map((i) => d.get(digestOf(i))?.decision)).toEqual([
      "keep",
      "keep",
      "delete",
      "keep",
    ]);
    expect(d.get(digestOf(0))?.detail).toBe(
      "kept by rule 0 (nDaysSinceLastPush 30): pushed within the last 30 days",
    );
    expect(d.get(digestOf(2))?.detail).toContain("was not pushed within the last 30 days");
  });

  it("pull: never pulled is deleted, pulled within the days kept, no pull records keep all", () => {
    const artifacts: Artifact[] = [
      { digest: digestOf(0), tags: ["a"], pushedAt: daysAgo(90), lastPulledAt: daysAgo(3) },
      { digest: digestOf(1), tags: ["b"], pushedAt: daysAgo(90), lastPulledAt: daysAgo(8) },
      { digest: digestOf(2), tags: ["c"], pushedAt: daysAgo(90), lastPulledAt: null },
    ];
    const policy = policyOf([ruleOf("nDaysSinceLastPull", 7)]);
    expect(keptDigests(inventoryOf(artifacts), policy)).toEqual([digestOf(0)]);
    const noPulls = inventoryOf(
      artifacts.map(({ lastPulledAt: _, ...a }) => a),
      { pullTimesKnown: false },
    );
    expect(keptDigests(noPulls, policy)).toHaveLength(3);
  });
});

describe("always, selectors and the untagged flag", () => {
  const artifacts: Artifact[] = [
    { digest: digestOf(0), tags: ["latest", "4.0"], pushedAt: daysAgo(1) },
    { digest: digestOf(1), tags: ["latest-dev", "dev"], pushedAt: daysAgo(2) },
    { digest: digestOf(2), tags: ["4.1"], pushedAt: daysAgo(3) },
    { digest: digestOf(3), tags: [], pushedAt: daysAgo(4) },
  ];
  const inv = inventoryOf(artifacts);
  const always = (
    tags: { decoration: "matches" | "excludes"; patterns: string[] },
    untagged = false,
  ) => keptDigests(inv, policyOf([ruleOf("always", undefined, { tags, untagged })]));

  it("matches: any tag matching any pattern selects the artifact", () => {
    expect(always({ decoration: "matches", patterns: ["4.*"] })).toEqual([
      digestOf(0),
      digestOf(2),
    ]);
    expect(always({ decoration: "matches", patterns: ["{latest,4.*}"] })).toEqual([
      digestOf(0),
      digestOf(2),
    ]);
    expect(always({ decoration: "matches", patterns: ["dev", "4.1"] })).toEqual([
      digestOf(1),
      digestOf(2),
    ]);
  });

  it("excludes: selected when some tag matches none of the patterns (Harbor's tag rule)", () => {
    // digest 0 has only excluded tags; digest 1 has "dev", which is not excluded.
    expect(always({ decoration: "excludes", patterns: ["latest*", "4.*"] })).toEqual([digestOf(1)]);
    expect(always({ decoration: "excludes", patterns: ["4.*"] })).toEqual([
      digestOf(0),
      digestOf(1),
    ]);
  });

  it("untagged artifacts are candidates only with untagged: true, for either decoration", () => {
    expect(always({ decoration: "matches", patterns: ["**"] })).not.toContain(digestOf(3));
    expect(always({ decoration: "matches", patterns: ["**"] }, true)).toContain(digestOf(3));
    expect(always({ decoration: "excludes", patterns: ["4.*"] })).not.toContain(digestOf(3));
    expect(always({ decoration: "excludes", patterns: ["4.*"] }, true)).toContain(digestOf(3));
  });

  it("an untagged artifact no rule includes is deleted, and the detail says why", () => {
    const d = decisions(inv, policyOf([ruleOf("always")]));
    expect(d.get(digestOf(3))).toMatchObject({ decision: "delete", reason: "not-retained" });
    expect(d.get(digestOf(3))?.rule).toBeUndefined();
    expect(d.get(digestOf(3))?.detail).toContain("untagged");
  });

  it("a tagged artifact no rule selects is deleted in a covered repository", () => {
    const d = decisions(
      inv,
      policyOf([
        ruleOf("always", undefined, { tags: { decoration: "matches", patterns: ["4.*"] } }),
      ]),
    );
    expect(d.get(digestOf(1))).toMatchObject({ decision: "delete", reason: "not-retained" });
    expect(d.get(digestOf(1))?.detail).toBe(
      "deleted: no rule covering this repository selects its tags",
    );
  });

  it("patterns: * and ** and dot-names as in the rest of the policy", () => {
    const dotted = inventoryOf([
      { digest: digestOf(0), tags: [".hidden"], pushedAt: daysAgo(1) },
      { digest: digestOf(1), tags: ["v1.2.3"], pushedAt: daysAgo(1) },
    ]);
    const keepBy = (pattern: string) =>
      keptDigests(
        dotted,
        policyOf([
          ruleOf("always", undefined, { tags: { decoration: "matches", patterns: [pattern] } }),
        ]),
      );
    expect(keepBy("*")).toEqual([digestOf(0), digestOf(1)]);
    expect(keepBy("v*.*.*")).toEqual([digestOf(1)]);
    expect(keepBy("v?.?.?")).toEqual([digestOf(1)]);
  });
});

describe("rules combined with OR, per repository", () => {
  it("an artifact any rule retains is kept, reported with the first rule that retains it", () => {
    const inv = inventoryOf(images(6));
    const policy = policyOf([
      ruleOf("latestPushedK", 1),
      ruleOf("nDaysSinceLastPush", 3),
      ruleOf("always", undefined, { tags: { decoration: "matches", patterns: ["t5"] } }),
    ]);
    const d = decisions(inv, policy);
    // Artifact 4 is deleted; its rule is the first that selected it without retaining it.
    expect([0, 1, 2, 3, 4, 5].map((i) => d.get(digestOf(i))?.rule?.index)).toEqual([
      0, 1, 1, 1, 0, 2,
    ]);
    expect([0, 1, 2, 3, 4, 5].map((i) => d.get(digestOf(i))?.reason)).toEqual([
      "rule",
      "rule",
      "rule",
      "rule",
      "not-retained",
      "rule",
    ]);
  });

  it("repository selectors: a rule applies only where its selector chooses the repository", () => {
    const policy = policyOf([
      ruleOf("latestPushedK", 1, {
        repositories: { decoration: "matches", patterns: ["prod/**"] },
      }),
      ruleOf("always", undefined, {
        repositories: { decoration: "excludes", patterns: ["prod/**", "sandbox/**"] },
      }),
    ]);
    const plan = planRetention(
      ["prod/api", "prod", "team-a/web", "sandbox/x"].map((repository) =>
        inventoryOf(images(3), { repository }),
      ),
      policy,
      ctx,
    );
    const byRepo = Object.fromEntries(plan.repositories.map((r) => [r.repository, r]));
    expect(byRepo["prod/api"]?.kept).toBe(1);
    expect(byRepo.prod?.kept).toBe(1); // prod/** also matches "prod"
    expect(byRepo["team-a/web"]?.kept).toBe(3);
    expect(byRepo["sandbox/x"]?.artifacts.map((a) => a.reason)).toEqual([
      "no-rule-for-repository",
      "no-rule-for-repository",
      "no-rule-for-repository",
    ]);
    expect(byRepo["sandbox/x"]?.artifacts[0]?.detail).toBe(
      "kept: no retention rule covers this repository",
    );
  });

  it("with no rules at all, nothing tagged is deleted", () => {
    const inv = inventoryOf(images(4));
    expect(keptDigests(inv, policyOf())).toHaveLength(4);
  });
});
