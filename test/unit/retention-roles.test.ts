import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { RetentionPlanError } from "../../shared/domain/plan-context.ts";
import { planIdOf } from "../../shared/domain/plan-id.ts";
import { assemblePlan, planRepository, planRetention } from "../../shared/domain/plan-retention.ts";
import type { Artifact } from "../../shared/domain/retention-inventory.ts";
import type { PlannedArtifact, RepositoryPlan } from "../../shared/domain/retention-plan.ts";
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

const ctx = { now: PLAN_NOW, policyVersion: "test" };
const D = (i: number) => digestOf(i);

function plan(
  artifacts: Artifact[],
  policy: RetentionPolicy,
  manifestsKnown = true,
): RepositoryPlan {
  return planRepository(inventoryOf(artifacts, { manifestsKnown }), policy, ctx);
}

function byDigest(p: RepositoryPlan): Map<string, PlannedArtifact> {
  return new Map(p.artifacts.map((a) => [a.digest, a]));
}

const position = (p: RepositoryPlan, digest: string) =>
  p.artifacts.findIndex((a) => a.digest === digest);

/** Keeps only artifacts tagged keep-*; everything else in the repository is not retained. */
const keepTagged = policyOf([
  ruleOf("always", undefined, { tags: { decoration: "matches", patterns: ["keep-*"] } }),
]);

describe("image indexes and their children", () => {
  const index = (i: number, tags: string[], children: number[]): Artifact => ({
    digest: D(i),
    tags,
    pushedAt: daysAgo(10),
    mediaType: "application/vnd.oci.image.index.v1+json",
    children: children.map(D),
  });
  const child = (i: number, tags: string[] = []): Artifact => ({
    digest: D(i),
    tags,
    pushedAt: daysAgo(10),
  });

  it("a kept index keeps its children; a deleted one takes its untagged children along", () => {
    const p = plan(
      [
        index(1, ["keep-1"], [2, 3]),
        child(2),
        child(3),
        index(4, ["drop"], [5, 6]),
        child(5),
        child(6),
      ],
      keepTagged,
    );
    const d = byDigest(p);
    expect([1, 2, 3].map((i) => [d.get(D(i))?.role, d.get(D(i))?.reason])).toEqual([
      ["index", "rule"],
      ["index-child", "child-of-kept-index"],
      ["index-child", "child-of-kept-index"],
    ]);
    expect(d.get(D(2))?.detail).toBe(`kept: listed by the kept index ${D(1).slice(0, 19)}`);
    expect([4, 5, 6].map((i) => d.get(D(i))?.reason)).toEqual([
      "not-retained",
      "child-of-deleted-index",
      "child-of-deleted-index",
    ]);
    // Deleting in plan order never leaves an index pointing at a deleted child.
    expect(position(p, D(4))).toBeLessThan(position(p, D(5)));
    expect(position(p, D(4))).toBeLessThan(position(p, D(6)));
  });

  it("a child listed by a kept and a deleted index is kept", () => {
    const d = byDigest(
      plan([index(1, ["keep-1"], [3]), index(2, ["drop"], [3]), child(3)], keepTagged),
    );
    expect(d.get(D(3))?.reason).toBe("child-of-kept-index");
  });

  it("a tagged child is a candidate in its own right", () => {
    const d = byDigest(
      plan([index(1, ["drop"], [2, 3]), child(2, ["keep-amd64"]), child(3, ["arm64"])], keepTagged),
    );
    expect(d.get(D(2))).toMatchObject({ role: "index-child", decision: "keep", reason: "rule" });
    expect(d.get(D(3))).toMatchObject({
      role: "index-child",
      decision: "delete",
      reason: "not-retained",
    });
  });

  it("nested indexes propagate both ways", () => {
    const p = plan([index(1, ["keep-1"], [2]), index(2, [], [3]), child(3)], keepTagged);
    expect(p.artifacts.map((a) => a.reason)).toEqual([
      "rule",
      "child-of-kept-index",
      "child-of-kept-index",
    ]);
    const gone = plan([index(1, ["drop"], [2]), index(2, [], [3]), child(3)], keepTagged);
    expect(gone.artifacts.map((a) => [a.digest, a.reason])).toEqual([
      [D(1), "not-retained"],
      [D(2), "child-of-deleted-index"],
      [D(3), "child-of-deleted-index"],
    ]);
  });

  it("an index is recognised by its media type even without children", () => {
    const docker: Artifact = {
      digest: D(1),
      tags: ["x"],
      mediaType: "application/vnd.docker.distribution.manifest.list.v2+json",
    };
    expect(plan([docker], keepTagged).artifacts[0]?.role).toBe("index");
  });
});

describe("referrers follow their subject", () => {
  const image = (i: number, tags: string[]): Artifact => ({
    digest: D(i),
    tags,
    pushedAt: daysAgo(5),
  });

  it("OCI subject and legacy tags .sig, .att, .sbom are referrers, kept with a kept subject", () => {
    const artifacts: Artifact[] = [
      image(1, ["keep-1"]),
      { digest: D(2), tags: [], subject: D(1) },
      { digest: D(3), tags: [legacyTag(D(1), "sig")] },
      { digest: D(4), tags: [legacyTag(D(1), "att")] },
      { digest: D(5), tags: [legacyTag(D(1), "sbom")] },
    ];
    const d = byDigest(plan(artifacts, keepTagged));
    for (const i of [2, 3, 4, 5]) {
      expect(d.get(D(i))).toMatchObject({ role: "referrer", reason: "referrer-of-kept-subject" });
    }
    expect(d.get(D(3))?.detail).toBe(
      `kept: refers by its legacy cosign tag to ${D(1).slice(0, 19)}, which is kept`,
    );
    expect(d.get(D(2))?.detail).toBe(`kept: refers to ${D(1).slice(0, 19)}, which is kept`);
  });

  it("a signature of an SBOM of an image: kept or deleted with the image, subjects first", () => {
    const artifacts = (tag: string): Artifact[] => [
      { digest: D(3), tags: [legacyTag(D(2), "sig")] },
      { digest: D(2), tags: [], subject: D(1), artifactType: "application/spdx+json" },
      image(1, [tag]),
    ];
    const kept = plan(artifacts("keep-1"), keepTagged);
    expect(kept.artifacts.map((a) => a.reason)).toEqual([
      "rule",
      "referrer-of-kept-subject",
      "referrer-of-kept-subject",
    ]);
    const gone = plan(artifacts("drop"), keepTagged);
    expect(gone.artifacts.map((a) => [a.digest, a.reason])).toEqual([
      [D(1), "not-retained"],
      [D(2), "subject-deleted"],
      [D(3), "subject-deleted"],
    ]);
    expect(gone.artifacts[2]?.detail).toContain("which this plan deletes");
  });

  it("referrers are not rule candidates: a legacy tag never takes one of the K places", () => {
    const artifacts: Artifact[] = [
      image(1, ["a"]),
      image(2, ["b"]),
      { digest: D(3), tags: [legacyTag(D(2), "sig")], pushedAt: daysAgo(0) },
    ];
    artifacts[1] = { ...(artifacts[1] as Artifact), pushedAt: daysAgo(6) };
    const d = byDigest(plan(artifacts, policyOf([ruleOf("latestPushedK", 1)])));
    expect(d.get(D(1))?.reason).toBe("rule");
    expect(d.get(D(2))?.reason).toBe("not-retained");
    expect(d.get(D(3))?.reason).toBe("subject-deleted");
  });

  it("referrers of an index child follow the child", () => {
    const artifacts: Artifact[] = [
      { digest: D(1), tags: ["keep-1"], children: [D(2)] },
      { digest: D(2), tags: [] },
      { digest: D(3), tags: [], subject: D(2) },
    ];
    expect(plan(artifacts, keepTagged).artifacts.map((a) => a.reason)).toEqual([
      "rule",
      "child-of-kept-index",
      "referrer-of-kept-subject",
    ]);
  });
});

describe("digests of any form", () => {
  it("places children and referrers by digest whatever the algorithm or case", () => {
    for (const digestOfForm of [
      (i: number) => `sha512:${String(i).repeat(128).slice(0, 128)}`,
      (i: number) => `sha256:${"AB".repeat(31)}${String(i).padStart(2, "0")}`,
      (i: number) => D(i),
    ]) {
      const artifacts: Artifact[] = [
        { digest: digestOfForm(1), tags: ["drop"], children: [digestOfForm(2)] },
        { digest: digestOfForm(2), tags: [] },
        { digest: digestOfForm(3), tags: [], subject: digestOfForm(2) },
        { digest: digestOfForm(4), tags: ["keep-4"] },
        { digest: digestOfForm(4), tags: ["keep-also"] },
      ];
      const p = plan(artifacts, keepTagged);
      expect(p.artifacts.map((a) => [a.digest, a.role, a.reason])).toEqual([
        [digestOfForm(1), "index", "not-retained"],
        [digestOfForm(4), "image", "rule"],
        [digestOfForm(2), "index-child", "child-of-deleted-index"],
        [digestOfForm(3), "referrer", "subject-deleted"],
      ]);
      expect(p.artifacts[1]?.tags).toEqual(["keep-4", "keep-also"]);
    }
  });
});

describe("offline inventories (manifestsKnown: false)", () => {
  it("keeps untagged manifests it cannot place, evaluates tagged ones, places legacy tags", () => {
    const artifacts: Artifact[] = [
      { digest: D(1), tags: ["drop"], pushedAt: daysAgo(5) },
      { digest: D(2), tags: [], pushedAt: daysAgo(500) },
      { digest: D(3), tags: [legacyTag(D(1), "sig")] },
      { digest: D(4), tags: ["keep-4"], pushedAt: daysAgo(5) },
    ];
    const policy = policyOf(
      [
        ruleOf("always", undefined, {
          tags: { decoration: "matches", patterns: ["keep-*"] },
          untagged: true,
        }),
      ],
      {
        gc: { orphanReferrers: true, untaggedOlderThanDays: 1 },
      },
    );
    const d = byDigest(plan(artifacts, policy, false));
    expect(d.get(D(1))?.reason).toBe("not-retained");
    expect(d.get(D(2))).toMatchObject({ decision: "keep", reason: "placement-unknown" });
    expect(d.get(D(2))?.detail).toBe(
      "kept: untagged, and the inventory does not say which index or subject it belongs to",
    );
    expect(d.get(D(3))?.reason).toBe("subject-deleted");
    expect(d.get(D(4))?.reason).toBe("rule");
  });

  it("an uncovered repository keeps unplaceable untagged manifests despite GC", () => {
    const d = byDigest(
      plan(
        [{ digest: D(1), tags: [], pushedAt: daysAgo(500) }],
        policyOf([], { gc: { orphanReferrers: true, untaggedOlderThanDays: 1 } }),
        false,
      ),
    );
    expect(d.get(D(1))?.reason).toBe("placement-unknown");
  });
});

describe("plan shape and identity", () => {
  const inv = inventoryOf(
    [
      { digest: D(2), tags: ["b", "a"], pushedAt: daysAgo(1), lastPulledAt: null, sizeBytes: 7 },
      { digest: D(1), tags: ["c"], pushedAt: daysAgo(2) },
      { digest: D(1), tags: ["d"], pushedAt: daysAgo(2) },
    ],
    { repository: "team-a/svc" },
  );
  const policy = policyOf([ruleOf("latestPushedK", 1)]);

  it("lists every artifact once with sorted tags and what the registry reported", () => {
    const p = planRepository(inv, policy, ctx);
    expect(p.artifacts).toEqual([
      {
        digest: D(1),
        tags: ["c", "d"],
        role: "image",
        pushedAt: daysAgo(2),
        decision: "delete",
        reason: "not-retained",
        rule: { index: 0, template: "latestPushedK" },
        detail:
          "deleted: rule 0 (latestPushedK 1) selects it, but it is not among the 1 most recently pushed; no rule retains it",
      },
      {
        digest: D(2),
        tags: ["a", "b"],
        role: "image",
        pushedAt: daysAgo(1),
        lastPulledAt: null,
        sizeBytes: 7,
        decision: "keep",
        reason: "rule",
        rule: { index: 0, template: "latestPushedK" },
        detail: "kept by rule 0 (latestPushedK 1): among the 1 most recently pushed",
      },
    ]);
    expect(p).toMatchObject({
      registry: "ecr",
      registryId: "123456789012",
      region: "us-east-1",
      repository: "team-a/svc",
      kept: 1,
      deleted: 1,
      bytesReclaimed: 0,
      bytesUnknown: 1,
    });
  });

  it("planId is the SHA-256 over the policy version and, per artifact, what an apply acts on", () => {
    const second = inventoryOf([{ digest: D(5), tags: [] }], {
      repository: "a/b",
      region: undefined,
    });
    delete second.region;
    const full = planRetention([inv, second], policy, ctx);
    const lines = [JSON.stringify(["registry-guard/plan/1", "test"])];
    for (const r of full.repositories) {
      lines.push(`R${JSON.stringify([r.registry, r.registryId, r.region ?? null, r.repository])}`);
      for (const a of r.artifacts) {
        lines.push(
          `A${JSON.stringify([a.digest, a.role, a.decision, a.reason, a.rule?.index ?? null, a.tags])}`,
        );
      }
    }
    expect(full.planId).toBe(createHash("sha256").update(lines.join("\n")).digest("hex"));
    expect(planIdOf("test", [])).toBe(
      createHash("sha256").update('["registry-guard/plan/1","test"]').digest("hex"),
    );
  });

  it("planId changes with any decision, reason, rule, tag or digest, not with details, sizes or key order", () => {
    const built = planRepository(inv, policy, ctx);
    const id = planIdOf("v", [built]);
    const reordered: RepositoryPlan = {
      ...built,
      artifacts: built.artifacts.map((a) => {
        const { tags, digest, ...rest } = a;
        return { tags, ...rest, digest, detail: "edited", sizeBytes: 1 };
      }),
    };
    expect(planIdOf("v", [reordered])).toBe(id);
    const first = built.artifacts[0];
    if (!first) throw new Error("the inventory plans at least one artifact");
    const edits: Partial<typeof first>[] = [
      { decision: first.decision === "keep" ? "delete" : "keep" },
      { reason: first.reason === "rule" ? "not-retained" : "rule" },
      { tags: [...first.tags, "extra"] },
      { digest: D(99) },
      { rule: { index: (first.rule?.index ?? 0) + 1, template: "always" } },
    ];
    for (const edit of edits) {
      const changed = { ...built, artifacts: [{ ...first, ...edit }, ...built.artifacts.slice(1)] };
      expect(planIdOf("v", [changed]), JSON.stringify(edit)).not.toBe(id);
    }
    expect(planIdOf("w", [built])).not.toBe(id);
  });

  it("planId names the content: not the time it was computed, but the policy version", () => {
    const a = planRetention([inv], policyOf([ruleOf("always")]), ctx);
    const later = planRetention([inv], policyOf([ruleOf("always")]), {
      ...ctx,
      now: new Date(PLAN_NOW.getTime() + 3_600_000),
    });
    expect(later.planId).toBe(a.planId);
    expect(later.now).not.toBe(a.now);
    const other = planRetention([inv], policyOf([ruleOf("always")]), {
      ...ctx,
      policyVersion: "v2",
    });
    expect(other.planId).not.toBe(a.planId);
  });

  it("assemblePlan orders repositories and adds the totals", () => {
    const r1 = planRepository({ ...inv, repository: "z" }, policy, ctx);
    const r2 = planRepository({ ...inv, repository: "a" }, policy, ctx);
    const assembled = assemblePlan([r1, r2], ctx);
    expect(assembled.repositories.map((r) => r.repository)).toEqual(["a", "z"]);
    expect(assembled.totals).toEqual({
      repositories: 2,
      artifacts: 4,
      kept: 2,
      deleted: 2,
      bytesReclaimed: 0,
      bytesUnknown: 2,
    });
    expect(assembled.now).toBe(PLAN_NOW.toISOString());
    expect(assemblePlan([r2, r1], ctx)).toEqual(assembled);
  });

  it("refuses an invalid now and a rule without its parameter", () => {
    expect(() => planRepository(inv, policy, { ...ctx, now: new Date("nope") })).toThrow(
      RetentionPlanError,
    );
    const broken = policyOf([{ ...ruleOf("latestPushedK", 1), param: undefined }]);
    expect(() => planRepository(inv, broken, ctx)).toThrow(
      /rule 0 \(latestPushedK\) needs a whole number/,
    );
  });
});
