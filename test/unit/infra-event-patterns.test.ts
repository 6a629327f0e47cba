import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  buildEventRules,
  EVENT_RULE_NAMES,
  EVENT_RULES,
  EventPatternConfigError,
  type EventPatternOptions,
  type EventRuleName,
  parseRepositoryPrefixes,
} from "../../infra/data/event-patterns.ts";
import { matchesPattern, validatePattern } from "../support/event-pattern-matcher.ts";

const FIXTURES = join(import.meta.dirname, "../fixtures/events");

/**
 * Which rules each published sample event must reach; every other rule must not match it. A new
 * fixture fails the completeness test below until someone decides where it belongs.
 */
const EXPECTED: Record<string, EventRuleName[]> = {
  "ecr-image-push.json": ["imagePush"],
  "ecr-image-delete.json": ["imagePush"],
  "ecr-image-push-failure.json": [],
  // Caused by our own quarantine: matching it would loop.
  "ecr-image-archive.json": [],
  "ecr-referrer-push.json": ["referrerAction"],
  "ecr-referrer-push-untagged.json": ["referrerAction"],
  // Restores follow our own release.
  "ecr-referrer-restore.json": [],
  "cloudtrail-put-image.json": ["cloudTrailPutImage"],
  "cloudtrail-put-image-error.json": [],
  "ecr-basic-scan-complete.json": ["basicScan"],
  "ecr-basic-scan-failed.json": ["basicScan"],
  "inspector2-scan.json": ["enhancedScan"],
  // Inspector also scans EC2 instances; only ECR images concern us.
  "inspector2-scan-ec2.json": [],
  "inspector2-finding.json": [],
  "ec2-instance-state-change.json": [],
  // The sweep's own input is invoked directly, never published to the bus.
  "scan-timeout-check.json": [],
};

const fixtureNames = readdirSync(FIXTURES)
  .filter((f) => f.endsWith(".json"))
  .sort();

function load(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(FIXTURES, name), "utf8")) as Record<string, unknown>;
}

function matching(rules: ReturnType<typeof buildEventRules>, event: unknown): EventRuleName[] {
  return EVENT_RULE_NAMES.filter((name) => matchesPattern(rules[name].pattern, event));
}

/** The repository a fixture is about, as its name (not ARN), or undefined. */
function repositoryOf(event: Record<string, unknown>): string | undefined {
  const detail = (event.detail ?? {}) as Record<string, unknown>;
  const fromDetail = detail["repository-name"];
  if (typeof fromDetail === "string")
    return fromDetail.replace(/^arn:[^:]+:ecr:[^:]+:\d+:repository\//, "");
  const params = detail.requestParameters as Record<string, unknown> | undefined;
  return typeof params?.repositoryName === "string" ? params.repositoryName : undefined;
}

describe("event patterns vs the published sample events", () => {
  it("every fixture has a routing decision, and every decision has a fixture", () => {
    expect(fixtureNames).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(fixtureNames)("%s reaches exactly the rules it should", (name) => {
    expect(matching(EVENT_RULES, load(name))).toEqual(EXPECTED[name]);
  });

  it("every rule is exercised by at least one fixture it matches", () => {
    const matched = new Set(Object.values(EXPECTED).flat());
    expect([...matched].sort()).toEqual([...EVENT_RULE_NAMES].sort());
  });

  it("routes pushes, referrers and CloudTrail to on-image-push, scans to on-scan-complete", () => {
    const targets = Object.fromEntries(EVENT_RULE_NAMES.map((n) => [n, EVENT_RULES[n].target]));
    expect(targets).toEqual({
      imagePush: "on-image-push",
      referrerAction: "on-image-push",
      cloudTrailPutImage: "on-image-push",
      basicScan: "on-scan-complete",
      enhancedScan: "on-scan-complete",
    });
  });

  it("every pattern is valid and filters on an AWS source and a detail-type", () => {
    for (const name of EVENT_RULE_NAMES) {
      const { pattern } = EVENT_RULES[name];
      validatePattern(pattern);
      expect(pattern.source).toEqual([expect.stringMatching(/^aws\./)]);
      expect(pattern["detail-type"]).toHaveLength(1);
    }
  });

  it("is exactly the documented image-action pattern", () => {
    expect(EVENT_RULES.imagePush.pattern).toEqual({
      source: ["aws.ecr"],
      "detail-type": ["ECR Image Action"],
      detail: { "action-type": ["PUSH", "DELETE"], result: ["SUCCESS"] },
    });
    expect(EVENT_RULES.cloudTrailPutImage.pattern).toMatchObject({
      source: ["aws.ecr"],
      "detail-type": ["AWS API Call via CloudTrail"],
      detail: { eventSource: ["ecr.amazonaws.com"], eventName: ["PutImage"] },
    });
  });

  it("component names are unique", () => {
    const names = EVENT_RULE_NAMES.map((n) => EVENT_RULES[n].componentName);
    expect(new Set(names).size).toBe(names.length);
  });
});

describe("event patterns restricted to repository prefixes", () => {
  const located: EventPatternOptions = { region: "us-east-2", account: "123456789012" };

  it("a prefix of the fixture's repository keeps every routing decision", () => {
    for (const name of fixtureNames) {
      const event = load(name);
      const repo = repositoryOf(event);
      if (!repo) continue;
      const rules = buildEventRules({
        ...located,
        region: String(event.region),
        account: String(event.account),
        repositoryPrefixes: [repo.slice(0, 3), "zz-unrelated"],
      });
      expect(matching(rules, event), name).toEqual(EXPECTED[name]);
    }
  });

  it("an unrelated prefix blocks every fixture", () => {
    const rules = buildEventRules({ ...located, repositoryPrefixes: ["zz-unrelated/"] });
    for (const name of fixtureNames) expect(matching(rules, load(name)), name).toEqual([]);
  });

  it("delivers an event iff the unrestricted rules do and its repository starts with a prefix", () => {
    const names = fixtureNames.filter((n) => repositoryOf(load(n)) !== undefined);
    const randomPrefix = fc.stringMatching(/^[a-z0-9][a-z0-9/-]{0,8}$/);
    // Half the prefixes are cut from the fixture's own repository name, so both outcomes occur.
    const case_ = fc.constantFrom(...names).chain((name) => {
      const repo = repositoryOf(load(name)) as string;
      const ownPrefix = fc.integer({ min: 1, max: repo.length }).map((n) => repo.slice(0, n));
      return fc.tuple(
        fc.constant(name),
        fc.array(fc.oneof(randomPrefix, ownPrefix), { minLength: 1, maxLength: 3 }),
      );
    });
    fc.assert(
      fc.property(case_, ([name, prefixes]) => {
        const event = load(name);
        const repo = repositoryOf(event) as string;
        const rules = buildEventRules({
          region: String(event.region),
          account: String(event.account),
          repositoryPrefixes: prefixes,
        });
        const wanted = prefixes.some((p) => repo.startsWith(p)) ? EXPECTED[name] : [];
        expect(matching(rules, event)).toEqual(wanted);
      }),
    );
  });

  it("matches Inspector2's repository ARN only in the configured account and region", () => {
    const event = load("inspector2-scan.json");
    const elsewhere = buildEventRules({
      region: "eu-west-1",
      account: "123456789012",
      repositoryPrefixes: ["amazon/"],
    });
    expect(matching(elsewhere, event)).toEqual([]);
    const here = buildEventRules({
      region: "us-east-2",
      account: "123456789012",
      repositoryPrefixes: ["amazon/"],
    });
    expect(matching(here, event)).toEqual(["enhancedScan"]);
  });

  it("rejects prefixes that are not the start of an ECR repository name, and missing location", () => {
    expect(() => buildEventRules({ ...located, repositoryPrefixes: ["Team/"] })).toThrow(
      EventPatternConfigError,
    );
    expect(() => buildEventRules({ ...located, repositoryPrefixes: ["team/*"] })).toThrow(
      EventPatternConfigError,
    );
    expect(() => buildEventRules({ repositoryPrefixes: ["team/"] })).toThrow(/region and account/);
  });

  it("parses the comma-separated deploy-time setting", () => {
    expect(parseRepositoryPrefixes(undefined)).toEqual([]);
    expect(parseRepositoryPrefixes(" team-a/ , ,team-b/,team-a/ ")).toEqual(["team-a/", "team-b/"]);
    expect(() => parseRepositoryPrefixes("team a/")).toThrow(EventPatternConfigError);
  });
});
