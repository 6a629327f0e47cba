import {
  buildEventRules,
  EVENT_RULE_NAMES,
  EVENT_RULES,
  type EventRuleName,
} from "./data/event-patterns.ts";
import type { FunctionName } from "./data/function-specs.ts";
import { ruleTargetsFunction } from "./event-rule-target.ts";
import type { DeploymentLocation } from "./location.ts";

export interface EventRulesInput {
  location: DeploymentLocation;
  functions: Record<FunctionName, sst.aws.Function>;
  deadLetterQueue: sst.aws.Queue;
  repositoryPrefixes: readonly string[];
}

/** One rule per pattern in infra/data/event-patterns.ts, on the account's default event bus. */
export function eventRules(
  input: EventRulesInput,
): Record<EventRuleName, aws.cloudwatch.EventRule> {
  const { location } = input;
  const specs = $util
    .all([location.partition, location.region, location.account])
    .apply(([partition, region, account]) =>
      buildEventRules({ repositoryPrefixes: input.repositoryPrefixes, partition, region, account }),
    );
  const build = (name: EventRuleName) => {
    const spec = EVENT_RULES[name];
    const rule = new aws.cloudwatch.EventRule(spec.componentName, {
      description: `${$app.name} ${$app.stage}: ${spec.description}`,
      eventPattern: specs.apply((all) => JSON.stringify(all[name].pattern)),
    });
    ruleTargetsFunction(
      spec.componentName,
      rule,
      input.functions[spec.target],
      input.deadLetterQueue,
    );
    return rule;
  };
  return Object.fromEntries(EVENT_RULE_NAMES.map((n) => [n, build(n)])) as Record<
    EventRuleName,
    aws.cloudwatch.EventRule
  >;
}
