import fc from "fast-check";
import type { RegistryKind } from "../../shared/domain/image.ts";
import type { Artifact, RepositoryInventory } from "../../shared/domain/retention-inventory.ts";
import {
  type PatternSelector,
  type RetentionPolicy,
  type RetentionRule,
  RULE_TEMPLATES,
  type RuleTemplate,
} from "../../shared/domain/retention-policy.ts";

/**
 * Builders and fast-check arbitraries for retention: inventories with image indexes and their
 * children, referrers by OCI subject and by legacy cosign tag (nested: a signature of an SBOM
 * of an image), orphans, quarantined images, pull times set / null / undefined, unknown push
 * times; and policies over the same tag and repository vocabulary so rules really select.
 */

/** The instant the arbitraries' times are relative to. */
export const PLAN_NOW = new Date("2026-06-15T12:00:00.000Z");
const DAY = 86_400_000;

/** sha256:<64 hex>, distinct for distinct (n, salt). */
export function digestOf(n: number, salt = 0): string {
  // The distinguishing hex comes first so shortened digests in details stay distinct.
  return `sha256:${n.toString(16).padStart(8, "0")}${salt.toString(16).padStart(8, "0")}${"0".repeat(48)}`;
}

/** ISO time `days` (may be fractional) before PLAN_NOW (or `now`). */
export function daysAgo(days: number, now: Date = PLAN_NOW): string {
  return new Date(now.getTime() - Math.round(days * DAY)).toISOString();
}

/** cosign's legacy tag for a referrer of `subject`. */
export function legacyTag(subject: string, kind: "sig" | "att" | "sbom" = "sig"): string {
  return `sha256-${subject.slice("sha256:".length)}.${kind}`;
}

/** An inventory of one repository; ECR-like defaults (children and pull times known). */
export function inventoryOf(
  artifacts: Artifact[],
  opts: Partial<Omit<RepositoryInventory, "artifacts">> = {},
): RepositoryInventory {
  return {
    registry: "ecr",
    registryId: "123456789012",
    region: "us-east-1",
    repository: "prod/api",
    manifestsKnown: true,
    pullTimesKnown: true,
    ...opts,
    artifacts,
  };
}

/** A policy with defaults filled like retentionPolicyOf, rules numbered in order. */
export function policyOf(
  rules: Omit<RetentionRule, "index">[] = [],
  more: Partial<Omit<RetentionPolicy, "rules">> = {},
): RetentionPolicy {
  return {
    rules: rules.map((rule, index) => ({ ...rule, index })),
    protections: { immutableTags: [], inUse: false, ...more.protections },
    gc: { orphanReferrers: true, ...more.gc },
    scheduleApplies: more.scheduleApplies ?? false,
    ...(more.schedule ? { schedule: more.schedule } : {}),
  };
}

/** One rule; selectors default to Harbor's `**` with untagged artifacts left out. */
export function ruleOf(
  template: RuleTemplate,
  param?: number,
  opts: { tags?: PatternSelector; untagged?: boolean; repositories?: PatternSelector } = {},
): Omit<RetentionRule, "index"> {
  return {
    template,
    ...(param !== undefined ? { param } : {}),
    tagSelector: {
      tags: opts.tags ?? { decoration: "matches", patterns: ["**"] },
      untagged: opts.untagged ?? false,
    },
    repositorySelector: opts.repositories ?? { decoration: "matches", patterns: ["**"] },
  };
}

/* ------------------------------------------------------------------ arbitraries */

export const TAG_POOL = [
  "latest",
  "main",
  "stable",
  "v1.0.0",
  "v1.2.3",
  "v2.0.0",
  "v2.0.0-rc1",
  "release-1",
  "release-2",
  "dev-abc",
  "dev-def",
  "pr-17",
  ".hidden",
] as const;
export const TAG_PATTERNS = [
  "**",
  "*",
  "v*",
  "v*.*.*",
  "latest",
  "release-*",
  "dev-*",
  "{main,stable}",
  ".*",
];
export const REPOSITORIES = [
  "prod/api",
  "prod/web/frontend",
  "dev/api",
  "team-a/svc",
  "sandbox/tmp",
  ".cache/x",
];
export const REPOSITORY_PATTERNS = ["**", "prod/**", "dev/*", "team-a/*", "sandbox/**", "*/api"];

type Kind = "image" | "index" | "oci-referrer" | "legacy-referrer";

/** Hours over 200 days, and now and then one of a few shared instants (ties must rank alike). */
const timeArb = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.integer({ min: 0, max: 200 * 24 }).map((hours) => daysAgo(hours / 24)),
  },
  { weight: 1, arbitrary: fc.constantFrom(1, 7, 30, 90).map((days) => daysAgo(days)) },
);

const specArb = fc.record({
  kind: fc.constantFrom<Kind>(
    "image",
    "image",
    "image",
    "index",
    "oci-referrer",
    "legacy-referrer",
  ),
  tags: fc.subarray<string>([...TAG_POOL], { maxLength: 3 }),
  pushedAt: fc.option(timeArb, { freq: 8, nil: undefined }),
  lastPulledAt: fc.oneof(timeArb, fc.constant(null), fc.constant(undefined)),
  sizeBytes: fc.option(fc.integer({ min: 0, max: 5_000_000_000 }), { freq: 6, nil: undefined }),
  /** null: not quarantined; undefined: quarantined, time unknown. */
  quarantine: fc.oneof(
    { weight: 7, arbitrary: fc.constant(null) },
    { weight: 1, arbitrary: fc.option(timeArb, { nil: undefined }) },
  ),
  /** How far back the manifests it lists (index) or refers to (referrer) are. */
  links: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 }),
  /** A referrer whose subject is not in the repository. */
  dangling: fc.boolean(),
  legacyKind: fc.constantFrom("sig" as const, "att" as const, "sbom" as const),
  sortKey: fc.integer(),
});

export interface InventoryArbOptions {
  repository?: fc.Arbitrary<string>;
  registry?: RegistryKind;
  maxArtifacts?: number;
}

/**
 * A repository whose relations form a DAG (as real digests must): an index lists earlier
 * positions, a referrer refers to an earlier position or, when dangling, to a digest that is
 * not there. Tags are unique within the repository. With manifestsKnown false, children and
 * OCI subjects are absent (an offline inventory), legacy tags remain.
 */
export function inventoryArbitrary(
  opts: InventoryArbOptions = {},
): fc.Arbitrary<RepositoryInventory> {
  return fc
    .record({
      repository: opts.repository ?? fc.constantFrom(...REPOSITORIES),
      salt: fc.integer({ min: 0, max: 0xffff }),
      specs: fc.array(specArb, { maxLength: opts.maxArtifacts ?? 24 }),
      manifestsKnown: fc.constantFrom(true, true, false),
      pullTimesKnown: fc.constantFrom(true, true, false),
    })
    .map(({ repository, salt, specs, manifestsKnown, pullTimesKnown }) => {
      const used = new Set<string>();
      const built: { artifact: Artifact; key: number }[] = [];
      specs.forEach((spec, p) => {
        const digest = digestOf(p, salt);
        const earlier = (back: number) => digestOf(Math.max(0, p - back), salt);
        const tags = spec.tags.filter((t) => !used.has(t));
        const artifact: Artifact = { digest, tags };
        if (spec.kind === "index") {
          artifact.mediaType = "application/vnd.oci.image.index.v1+json";
          if (manifestsKnown) {
            artifact.children = p === 0 ? [] : [...new Set(spec.links.map(earlier))];
            if (spec.dangling) artifact.children.push(digestOf(p + 1000, salt ^ 0xffff));
          }
        }
        if (spec.kind === "oci-referrer" || spec.kind === "legacy-referrer") {
          const subject =
            spec.dangling || p === 0
              ? digestOf(p + 1000, salt ^ 0xffff)
              : earlier(spec.links[0] ?? 1);
          artifact.artifactType = "application/vnd.dev.cosign.artifact.sig.v1+json";
          if (spec.kind === "oci-referrer") {
            if (manifestsKnown) artifact.subject = subject;
          } else {
            const tag = legacyTag(subject, spec.legacyKind);
            if (!used.has(tag)) tags.push(tag);
          }
        }
        for (const t of tags) used.add(t);
        if (spec.pushedAt !== undefined) artifact.pushedAt = spec.pushedAt;
        if (pullTimesKnown && spec.lastPulledAt !== undefined)
          artifact.lastPulledAt = spec.lastPulledAt;
        if (spec.sizeBytes !== undefined) artifact.sizeBytes = spec.sizeBytes;
        if (spec.quarantine !== null) {
          artifact.quarantined = true;
          if (spec.quarantine !== undefined) artifact.quarantinedAt = spec.quarantine;
        }
        built.push({ artifact, key: spec.sortKey });
      });
      // Registries list in their own order: the planner must not depend on it.
      built.sort((a, b) => a.key - b.key);
      return inventoryOf(
        built.map((b) => b.artifact),
        {
          registry: opts.registry ?? "ecr",
          repository,
          manifestsKnown,
          pullTimesKnown,
        },
      );
    });
}

/** Any repository inventory (see inventoryArbitrary). */
export const inventoryArb: fc.Arbitrary<RepositoryInventory> = inventoryArbitrary();

/** Several inventories of distinct repositories of one registry. */
export const inventoriesArb: fc.Arbitrary<RepositoryInventory[]> = fc
  .uniqueArray(fc.constantFrom(...REPOSITORIES), { minLength: 1, maxLength: 4 })
  .chain((names) =>
    fc.tuple(...names.map((name) => inventoryArbitrary({ repository: fc.constant(name) }))),
  );

const selectorArb = (pool: readonly string[]): fc.Arbitrary<PatternSelector> =>
  fc.record({
    decoration: fc.constantFrom("matches" as const, "matches" as const, "excludes" as const),
    patterns: fc.subarray([...pool], { minLength: 1, maxLength: 2 }),
  });

const ruleArb: fc.Arbitrary<Omit<RetentionRule, "index">> = fc
  .record({
    template: fc.constantFrom(...RULE_TEMPLATES),
    count: fc.integer({ min: 1, max: 6 }),
    days: fc.integer({ min: 1, max: 120 }),
    tags: selectorArb(TAG_PATTERNS),
    untagged: fc.boolean(),
    repositories: fc.oneof(
      fc.constant<PatternSelector>({ decoration: "matches", patterns: ["**"] }),
      selectorArb(REPOSITORY_PATTERNS),
    ),
  })
  .map((r) =>
    ruleOf(
      r.template,
      r.template === "always" ? undefined : r.template.startsWith("latest") ? r.count : r.days,
      { tags: r.tags, untagged: r.untagged, repositories: r.repositories },
    ),
  );

/** Any retention policy over the arbitraries' tag and repository vocabulary. */
export const retentionPolicyArb: fc.Arbitrary<RetentionPolicy> = fc
  .record({
    rules: fc.array(ruleArb, { maxLength: 4 }),
    immutableTags: fc.subarray(["v*.*.*", "release-*", "stable"], { maxLength: 2 }),
    pulledWithinDays: fc.option(fc.integer({ min: 1, max: 90 }), { nil: undefined }),
    quarantineExpiresAfterDays: fc.option(fc.integer({ min: 1, max: 120 }), { nil: undefined }),
    inUse: fc.boolean(),
    untaggedOlderThanDays: fc.option(fc.integer({ min: 1, max: 90 }), { nil: undefined }),
    orphanReferrers: fc.boolean(),
  })
  .map((p) =>
    policyOf(p.rules, {
      protections: {
        immutableTags: p.immutableTags,
        inUse: p.inUse,
        ...(p.pulledWithinDays !== undefined ? { pulledWithinDays: p.pulledWithinDays } : {}),
        ...(p.quarantineExpiresAfterDays !== undefined
          ? { quarantineExpiresAfterDays: p.quarantineExpiresAfterDays }
          : {}),
      },
      gc: {
        orphanReferrers: p.orphanReferrers,
        ...(p.untaggedOlderThanDays !== undefined
          ? { untaggedOlderThanDays: p.untaggedOlderThanDays }
          : {}),
      },
    }),
  );

/** Some digests of these inventories, as an in-use provider would report them. */
export function inUseArb(inventories: readonly RepositoryInventory[]): fc.Arbitrary<Set<string>> {
  const digests = inventories.flatMap((inv) => inv.artifacts.map((a) => a.digest));
  return fc.subarray(digests).map((picked) => new Set(picked));
}
