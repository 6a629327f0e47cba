import { EVENT_TARGET_RETRY } from "./data/delivery-policy.ts";

/**
 * Points an EventBridge rule at a function: the invoke permission (only from this rule) and a
 * target with a retry policy and a dead-letter queue for events that cannot be delivered.
 */
export function ruleTargetsFunction(
  name: string,
  rule: aws.cloudwatch.EventRule,
  fn: sst.aws.Function,
  deadLetterQueue: sst.aws.Queue,
) {
  new aws.lambda.Permission(`${name}InvokePermission`, {
    action: "lambda:InvokeFunction",
    function: fn.name,
    principal: "events.amazonaws.com",
    sourceArn: rule.arn,
  });
  return new aws.cloudwatch.EventTarget(`${name}Target`, {
    rule: rule.name,
    arn: fn.arn,
    retryPolicy: { ...EVENT_TARGET_RETRY },
    deadLetterConfig: { arn: deadLetterQueue.arn },
  });
}
