/**
 * CloudWatch alarms as plain data. Every alarm fires on the first bad datapoint: a message in a
 * dead-letter queue or a failed invocation always needs a person to look.
 */
export interface AlarmSpec<T = string> {
  /** Suffix of the alarm name, unique in the app. */
  label: string;
  description: string;
  namespace: "AWS/SQS" | "AWS/Lambda";
  metricName: string;
  dimensions: Record<string, T>;
  statistic: "Maximum" | "Sum";
  periodSeconds: number;
  evaluationPeriods: number;
  threshold: number;
  comparisonOperator: "GreaterThanThreshold";
  /** No datapoints means no messages / no invocations, which is healthy. */
  treatMissingData: "notBreaching";
}

const firstBadMinute = {
  periodSeconds: 60,
  evaluationPeriods: 1,
  threshold: 0,
  comparisonOperator: "GreaterThanThreshold",
  treatMissingData: "notBreaching",
} as const;

export function deadLetterDepthAlarm<T>(label: string, queueName: T): AlarmSpec<T> {
  return {
    ...firstBadMinute,
    label,
    description: `Messages waiting in dead-letter queue ${label}: inspect them, fix the cause, then redrive (docs/deploy.md)`,
    namespace: "AWS/SQS",
    metricName: "ApproximateNumberOfMessagesVisible",
    dimensions: { QueueName: queueName },
    statistic: "Maximum",
  };
}

export function functionErrorsAlarm<T>(label: string, functionName: T): AlarmSpec<T> {
  return {
    ...firstBadMinute,
    label,
    description: `Function ${label} failed an invocation; its logs say why. Failed events are retried, then dead-lettered`,
    namespace: "AWS/Lambda",
    metricName: "Errors",
    dimensions: { FunctionName: functionName },
    statistic: "Sum",
  };
}
