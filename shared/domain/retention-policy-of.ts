import type { LoadedPolicy } from "./policy-load.ts";
import type { RetentionRuleSettings } from "./policy-schema.ts";
import type { PatternSelector, RetentionPolicy, RetentionRule } from "./retention-policy.ts";

/**
 * The retention section of a loaded policy with every default filled: no rules, no immutable
 * tags, in-use protection off, orphaned referrers collected, scheduled runs only plan. The
 * schema already refused anything malformed, so this only reshapes.
 */
export function retentionPolicyOf(loaded: LoadedPolicy): RetentionPolicy {
  const section = loaded.document.retention;
  const protections = section?.protections;
  const gc = section?.gc;
  return {
    rules: (section?.rules ?? []).map(ruleOf),
    protections: {
      immutableTags: listOf(protections?.immutableTags),
      ...(protections?.quarantineExpiresAfterDays !== undefined
        ? { quarantineExpiresAfterDays: protections.quarantineExpiresAfterDays }
        : {}),
      ...(protections?.pulledWithinDays !== undefined
        ? { pulledWithinDays: protections.pulledWithinDays }
        : {}),
      inUse: protections?.inUse ?? false,
    },
    gc: {
      ...(gc?.untaggedOlderThanDays !== undefined
        ? { untaggedOlderThanDays: gc.untaggedOlderThanDays }
        : {}),
      orphanReferrers: gc?.orphanReferrers ?? true,
    },
    ...(section?.schedule !== undefined ? { schedule: section.schedule } : {}),
    scheduleApplies: section?.scheduleApplies ?? false,
  };
}

const EVERYTHING: PatternSelector = { decoration: "matches", patterns: ["**"] };

function ruleOf(rule: RetentionRuleSettings, index: number): RetentionRule {
  const param = rule.count ?? rule.days;
  return {
    index,
    template: rule.keep,
    ...(param !== undefined ? { param } : {}),
    tagSelector: { tags: selectorOf(rule.tags), untagged: rule.untagged ?? false },
    repositorySelector: selectorOf(rule.repositories),
  };
}

function selectorOf(
  selector:
    | { matches?: string | string[] | undefined; excludes?: string | string[] | undefined }
    | undefined,
): PatternSelector {
  if (selector?.matches !== undefined) {
    return { decoration: "matches", patterns: listOf(selector.matches) };
  }
  if (selector?.excludes !== undefined) {
    return { decoration: "excludes", patterns: listOf(selector.excludes) };
  }
  return { decoration: EVERYTHING.decoration, patterns: [...EVERYTHING.patterns] };
}

function listOf(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return typeof value === "string" ? [value] : [...value];
}
