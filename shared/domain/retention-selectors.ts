import picomatch from "picomatch";
import type { PatternSelector, TagSelector } from "./retention-policy.ts";

/**
 * Harbor's doublestar selectors, compiled once per policy. Patterns mean what they mean in the
 * rest of the policy (repositoryMatcher in policy-resolve.ts): picomatch with `dot: true`, so
 * `*` stays within a path segment, `**` crosses segments, names starting with a dot match.
 * The compiled regular expression is tested directly, with picomatch's own shortcuts (a value
 * equal to the pattern matches, the empty string never does), because the planner tests
 * millions of tags and picomatch's matcher builds a result object per call. A list of
 * patterns is Harbor's comma-separated list (`{a,b}`): a value matches when any pattern does.
 */

export type ValueSelector = (value: string) => boolean;

/** The options repositoryMatcher gives picomatch (retention-selectors.test checks they agree). */
const PATTERN_OPTIONS = { dot: true } as const;

/** True when the value matches any of the patterns. */
export function anyPattern(patterns: readonly string[]): ValueSelector {
  const tests = patterns.map((pattern) => {
    const re = picomatch.makeRe(pattern, PATTERN_OPTIONS);
    return (value: string) => value !== "" && (value === pattern || re.test(value));
  });
  if (tests.length === 1) return tests[0] as ValueSelector;
  return (value) => tests.some((test) => test(value));
}

/** matches: the value matches a pattern; excludes: it matches none. */
export function valueSelector(selector: PatternSelector): ValueSelector {
  const matched = anyPattern(selector.patterns);
  return selector.decoration === "matches" ? matched : (value) => !matched(value);
}

/**
 * Whether an artifact with these tags is a candidate of a rule. As Harbor's tag selector: with
 * `matches`, a tagged artifact is selected when any of its tags matches; with `excludes`, when
 * any of its tags matches none of the patterns (an artifact whose every tag is excluded is not
 * selected). Untagged artifacts are selected only when the rule says `untagged: true`, for
 * either decoration (Harbor inverts the flag for `excludes`; see docs/retention.md).
 */
export function tagSelector(selector: TagSelector): (tags: readonly string[]) => boolean {
  const selects = valueSelector(selector.tags);
  const untagged = selector.untagged;
  return (tags) => {
    if (tags.length === 0) return untagged;
    for (const tag of tags) if (selects(tag)) return true;
    return false;
  };
}
