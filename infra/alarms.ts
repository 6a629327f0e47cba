import { type AlarmSpec, deadLetterDepthAlarm, functionErrorsAlarm } from "./data/alarm-specs.ts";
import { FUNCTION_NAMES, FUNCTION_SPECS, type FunctionName } from "./data/function-specs.ts";
import type { WebhookAlarmSpec } from "./data/webhook-alarms.ts";
import type { DeadLetterQueues } from "./dead-letter-queues.ts";

/** A metric alarm on the alerts topic, from an alarm spec (ours or the webhook receiver's). */
export function alarm(
  spec: AlarmSpec<$util.Input<string>> | WebhookAlarmSpec,
  topicArn: $util.Input<string>,
) {
  return new aws.cloudwatch.MetricAlarm(`${spec.label}Alarm`, {
    alarmDescription: `${$app.name} ${$app.stage}: ${spec.description}`,
    namespace: spec.namespace,
    metricName: spec.metricName,
    dimensions: spec.dimensions,
    statistic: spec.statistic,
    period: spec.periodSeconds,
    evaluationPeriods: spec.evaluationPeriods,
    threshold: spec.threshold,
    comparisonOperator: spec.comparisonOperator,
    treatMissingData: spec.treatMissingData,
    // OK actions too: subscribers learn when the problem is gone.
    alarmActions: [topicArn],
    okActions: [topicArn],
  });
}

/** An alarm on every dead-letter queue holding a message and on every function error. */
export function alarms(input: {
  topicArn: $util.Input<string>;
  deadLetters: DeadLetterQueues;
  functions: Record<FunctionName, sst.aws.Function>;
}) {
  const queues: [string, sst.aws.Queue][] = [
    ...FUNCTION_NAMES.map((fn): [string, sst.aws.Queue] => [
      `${FUNCTION_SPECS[fn].componentName}Dlq`,
      input.deadLetters.functions[fn],
    ]),
    ["EventDeliveryDlq", input.deadLetters.eventDelivery],
  ];
  return [
    ...queues.map(([label, queue]) =>
      alarm(deadLetterDepthAlarm(`${label}Depth`, queue.nodes.queue.name), input.topicArn),
    ),
    ...FUNCTION_NAMES.map((fn) =>
      alarm(
        functionErrorsAlarm(`${FUNCTION_SPECS[fn].componentName}Errors`, input.functions[fn].name),
        input.topicArn,
      ),
    ),
  ];
}
