import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { policyJsonSchema } from "../../shared/domain/policy-json-schema.ts";
import { loadPolicy, PolicyError, type PolicyIssue } from "../../shared/domain/policy-load.ts";
import { retentionPolicyOf } from "../../shared/domain/retention-policy-of.ts";

const FILE = "registry-guard.yaml";

function issues(text: string): PolicyIssue[] {
  try {
    loadPolicy(text, FILE);
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyError);
    return (error as PolicyError).issues;
  }
  throw new Error("expected the policy to be rejected");
}

/** The one issue of a `retention:` section (indented under it). */
function onlyIssue(section: string): PolicyIssue {
  const found = issues(`version: 1\nretention:\n${section}`);
  expect(found, JSON.stringify(found)).toHaveLength(1);
  return found[0] as PolicyIssue;
}

describe("retention section: valid input and defaults", () => {
  it("reads every setting into a RetentionPolicy", () => {
    const loaded = loadPolicy(
      `version: 1
retention:
  schedule: "cron(0 3 * * ? *)"
  scheduleApplies: true
  rules:
    - keep: latestPushedK
      count: 10
      tags: { matches: "v*" }
      repositories: { matches: "prod/**" }
    - keep: nDaysSinceLastPull
      days: 30
      tags: { excludes: ["dev-*", "pr-*"] }
      untagged: true
    - keep: always
  protections: { immutableTags: "v*.*.*", pulledWithinDays: 14, quarantineExpiresAfterDays: 90, inUse: true }
  gc: { untaggedOlderThanDays: 7, orphanReferrers: false }
`,
      FILE,
    );
    const everything = { decoration: "matches", patterns: ["**"] };
    expect(retentionPolicyOf(loaded)).toEqual({
      schedule: "cron(0 3 * * ? *)",
      scheduleApplies: true,
      rules: [
        {
          index: 0,
          template: "latestPushedK",
          param: 10,
          tagSelector: { tags: { decoration: "matches", patterns: ["v*"] }, untagged: false },
          repositorySelector: { decoration: "matches", patterns: ["prod/**"] },
        },
        {
          index: 1,
          template: "nDaysSinceLastPull",
          param: 30,
          tagSelector: {
            tags: { decoration: "excludes", patterns: ["dev-*", "pr-*"] },
            untagged: true,
          },
          repositorySelector: everything,
        },
        {
          index: 2,
          template: "always",
          tagSelector: { tags: everything, untagged: false },
          repositorySelector: everything,
        },
      ],
      protections: {
        immutableTags: ["v*.*.*"],
        pulledWithinDays: 14,
        quarantineExpiresAfterDays: 90,
        inUse: true,
      },
      gc: { untaggedOlderThanDays: 7, orphanReferrers: false },
    });
  });

  it("fills the defaults when the section is absent", () => {
    expect(retentionPolicyOf(loadPolicy("version: 1\n", FILE))).toEqual({
      rules: [],
      protections: { immutableTags: [], inUse: false },
      gc: { orphanReferrers: true },
      scheduleApplies: false,
    });
  });

  it("accepts the three EventBridge Scheduler forms", () => {
    for (const schedule of [
      "cron(0 3 * * ? *)",
      "rate(1 day)",
      "rate(12 hours)",
      "at(2026-07-01T03:00:00)",
    ]) {
      expect(
        () => loadPolicy(`version: 1\nretention:\n  schedule: "${schedule}"\n`, FILE),
        schedule,
      ).not.toThrow();
    }
  });

  it("the example policy carries a retention section that loads", () => {
    const text = readFileSync(
      new URL("../../examples/registry-guard.yaml", import.meta.url),
      "utf8",
    );
    const policy = retentionPolicyOf(loadPolicy(text, FILE));
    expect(policy.rules.length).toBeGreaterThan(0);
    expect(policy.schedule).toMatch(/^cron\(/);
  });

  it("appears in the JSON Schema, strict like the rest", () => {
    type S = { properties?: Record<string, S>; additionalProperties?: unknown; items?: S };
    const retention = (policyJsonSchema() as S).properties?.retention;
    expect(Object.keys(retention?.properties ?? {}).sort()).toEqual(
      ["gc", "protections", "rules", "schedule", "scheduleApplies"].sort(),
    );
    expect(retention?.additionalProperties).toBe(false);
    expect(retention?.properties?.rules?.items?.additionalProperties).toBe(false);
  });
});

describe("retention section: specific errors at the right place", () => {
  it("a template's parameter is required", () => {
    const issue = onlyIssue("  rules:\n    - keep: latestPushedK\n");
    expect(issue).toMatchObject({ line: 4, column: 7, path: "retention.rules[0].count" });
    expect(issue.message).toMatch(/^required: count \(how many of the most recently pushed/);
    expect(onlyIssue("  rules:\n    - keep: nDaysSinceLastPull\n").path).toBe(
      "retention.rules[0].days",
    );
  });

  it("a parameter the template does not take is refused", () => {
    const wrong = issues(
      "version: 1\nretention:\n  rules:\n    - keep: latestPulledN\n      days: 3\n",
    );
    expect(wrong.map((i) => [i.path, i.message])).toEqual([
      ["retention.rules[0].count", expect.stringMatching(/^required: count/)],
      ["retention.rules[0].days", "latestPulledN takes count, not days"],
    ]);
    const always = onlyIssue("  rules:\n    - keep: always\n      count: 2\n");
    expect(always).toMatchObject({ line: 5, column: 14, path: "retention.rules[0].count" });
    expect(always.message).toBe(
      "always takes no count: it keeps every artifact its selectors choose",
    );
  });

  it("counts and days are whole numbers of 1 or more", () => {
    const zero = onlyIssue("  rules:\n    - keep: nDaysSinceLastPush\n      days: 0\n");
    expect(zero).toMatchObject({
      path: "retention.rules[0].days",
      message: "expected 1 or more days, got 0",
    });
    const half = onlyIssue("  rules:\n    - keep: latestPushedK\n      count: 2.5\n");
    expect(half.message).toBe("expected a whole number of artifacts, got 2.5");
    const text = onlyIssue("  protections: { pulledWithinDays: soon }\n");
    expect(text).toMatchObject({ path: "retention.protections.pulledWithinDays", column: 36 });
    expect(text.message).toBe('expected a whole number of days, 1 or more, got string "soon"');
  });

  it("an unknown template names Harbor's", () => {
    const issue = onlyIssue("  rules:\n    - keep: latestK\n      count: 3\n");
    expect(issue).toMatchObject({ line: 4, column: 13, path: "retention.rules[0].keep" });
    expect(issue.message).toContain(
      "latestPushedK, latestPulledN, nDaysSinceLastPush, nDaysSinceLastPull, always",
    );
  });

  it("a selector sets exactly one of matches and excludes", () => {
    const both = onlyIssue(
      '  rules:\n    - keep: always\n      tags: { matches: "v*", excludes: "dev-*" }\n',
    );
    expect(both).toMatchObject({ path: "retention.rules[0].tags.excludes" });
    expect(both.message).toContain("not both");
    const none = onlyIssue("  rules:\n    - keep: always\n      repositories: {}\n");
    expect(none.path).toBe("retention.rules[0].repositories");
    expect(none.message).toContain("set matches or excludes");
    const bare = onlyIssue('  rules:\n    - keep: always\n      tags: "v*"\n');
    expect(bare.message).toBe('expected a mapping with fields matches, excludes, got string "v*"');
  });

  it("patterns are checked like the policy's other globs", () => {
    const empty = onlyIssue("  rules:\n    - keep: always\n      tags: { matches: [] }\n");
    expect(empty).toMatchObject({ path: "retention.rules[0].tags.matches" });
    expect(empty.message).toBe("the list is empty; write at least one tag pattern");
    const spaced = onlyIssue('  protections: { immutableTags: ["v*", " x"] }\n');
    expect(spaced).toMatchObject({ path: "retention.protections.immutableTags[1]" });
    expect(spaced.message).toContain("leading or trailing spaces");
  });

  it("unknown fields are named with the allowed ones", () => {
    const issue = onlyIssue("  gc: { orphans: true }\n");
    expect(issue).toMatchObject({ line: 3, column: 9, path: "retention.gc.orphans" });
    expect(issue.message).toBe(
      'Unknown field "orphans"; allowed fields: untaggedOlderThanDays, orphanReferrers',
    );
    expect(onlyIssue("  rules:\n    - keep: always\n      untaged: true\n").path).toBe(
      "retention.rules[0].untaged",
    );
  });

  it("a schedule must be an EventBridge Scheduler expression", () => {
    const words = onlyIssue('  schedule: "daily"\n');
    expect(words).toMatchObject({ path: "retention.schedule", line: 3, column: 13 });
    expect(words.message).toContain("write cron(…), rate(…) or at(…)");
    expect(onlyIssue('  schedule: "cron(0 3 * *)"\n').message).toContain("six fields");
    expect(onlyIssue('  schedule: "rate(0 days)"\n').message).toContain("positive whole number");
    expect(onlyIssue('  schedule: "at(2026-07-01)"\n').message).toContain("without a zone");
  });

  it("scheduleApplies: true needs a schedule; booleans are booleans", () => {
    const alone = onlyIssue("  scheduleApplies: true\n");
    expect(alone).toMatchObject({ path: "retention.scheduleApplies" });
    expect(alone.message).toContain("needs a schedule");
    expect(onlyIssue("  gc: { orphanReferrers: yes }\n").message).toBe(
      'expected true or false, got string "yes"',
    );
  });
});
