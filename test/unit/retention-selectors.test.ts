import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { digestRanks, legacySubjectOf } from "../../shared/domain/artifact-roles.ts";
import { repositoryMatcher } from "../../shared/domain/policy-resolve.ts";
import { anyPattern, tagSelector, valueSelector } from "../../shared/domain/retention-selectors.ts";
import {
  REPOSITORIES,
  REPOSITORY_PATTERNS,
  TAG_PATTERNS,
  TAG_POOL,
} from "../support/retention-arbitraries.ts";

const PATTERNS = [
  ...TAG_PATTERNS,
  ...REPOSITORY_PATTERNS,
  "v[0-9]*",
  "a?c",
  "!(dev)*",
  "x/**/y",
  "[",
  "v[1]",
];
const VALUES = [
  ...TAG_POOL,
  ...REPOSITORIES,
  "",
  "prod",
  "a/b/c",
  "x/y",
  "v[1]",
  "v1",
  ".x",
  "abc",
];

describe("retention selectors", () => {
  it("match exactly as the policy's repositoryMatcher does", () => {
    fc.assert(
      fc.property(
        fc.subarray(PATTERNS, { minLength: 1, maxLength: 3 }),
        fc.oneof(fc.constantFrom(...VALUES), fc.string({ maxLength: 12 })),
        (patterns, value) => {
          expect(anyPattern(patterns)(value)).toBe(repositoryMatcher(patterns)(value));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("excludes is the complement of matches for one value", () => {
    const matches = valueSelector({ decoration: "matches", patterns: ["prod/**", "*/api"] });
    const excludes = valueSelector({ decoration: "excludes", patterns: ["prod/**", "*/api"] });
    for (const value of VALUES) expect(excludes(value)).toBe(!matches(value));
  });

  it("tag selector: any tag for matches, any tag outside the patterns for excludes", () => {
    const m = tagSelector({ tags: { decoration: "matches", patterns: ["v*"] }, untagged: false });
    const x = tagSelector({ tags: { decoration: "excludes", patterns: ["v*"] }, untagged: true });
    expect([m(["dev", "v1"]), m(["dev"]), m([])]).toEqual([true, false, false]);
    expect([x(["dev", "v1"]), x(["v1", "v2"]), x([])]).toEqual([true, false, true]);
  });

  it("legacy referrer tags name their subject; other tags name nothing", () => {
    const hex = "ab".repeat(32);
    expect(legacySubjectOf(`sha256-${hex}.sig`)).toBe(`sha256:${hex}`);
    expect(legacySubjectOf(`sha256-${hex}.sbom`)).toBe(`sha256:${hex}`);
    expect(legacySubjectOf(`sha256-${hex}.att`)).toBe(`sha256:${hex}`);
    expect(legacySubjectOf(`sha256-${hex}.sig2`)).toBeUndefined();
    expect(legacySubjectOf(`sha256-${hex.toUpperCase()}.sig`)).toBeUndefined();
    expect(legacySubjectOf("latest")).toBeUndefined();
  });
});

describe("digestRanks", () => {
  const hexDigest = fc
    .tuple(
      fc.constantFrom("", "0000", "ffff", "a1b2c3d4"),
      fc.string({ unit: fc.constantFrom(..."0123456789abcdef"), minLength: 64, maxLength: 64 }),
    )
    .map(([prefix, rest]) => `sha256:${(prefix + rest).slice(0, 64)}`);
  const anyDigest = fc.oneof(
    hexDigest,
    fc.string({ maxLength: 20 }),
    fc.constant("sha256:ABCDEF0123"),
  );

  for (const [name, arb] of [
    ["sha256 hex digests, equal 32-bit prefixes included", hexDigest],
    ["anything else, sorted as strings", anyDigest],
  ] as const) {
    it(`equal the code-unit order of the digests: ${name}`, () => {
      fc.assert(
        fc.property(fc.uniqueArray(arb, { maxLength: 40 }), (digests) => {
          const byString = [...digests].sort();
          const rank = digestRanks(digests);
          digests.forEach((d, i) => {
            expect(rank[i]).toBe(byString.indexOf(d));
          });
        }),
        { numRuns: 500 },
      );
    });
  }
});
