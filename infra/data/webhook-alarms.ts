import { WEBHOOK_FUNCTION_SPEC } from "./webhook-function.ts";

/**
 * Alarms on the receiver's own metrics (Powertools EMF, namespace RegistryGuard, dimension
 * `service`). A pipeline failure is answered 500 and a bad body 4xx: the function itself
 * succeeds, so Lambda's Errors metric never sees either. Distribution retries a non-2xx
 * delivery without end and holds that endpoint's later events behind it, so each one needs a
 * person. Unauthorized requests are counted but do not alarm: anyone can knock on a public URL.
 */
export interface WebhookAlarmSpec {
  label: string;
  description: string;
  namespace: "RegistryGuard";
  metricName: string;
  dimensions: { service: string };
  statistic: "Sum";
  periodSeconds: number;
  evaluationPeriods: number;
  threshold: number;
  comparisonOperator: "GreaterThanThreshold";
  treatMissingData: "notBreaching";
}

/** The Powertools service name of the receiver (functions/webhook-receiver.ts). */
export const WEBHOOK_SERVICE_NAME = WEBHOOK_FUNCTION_SPEC.name;

const firstBadMinute = {
  namespace: "RegistryGuard",
  dimensions: { service: WEBHOOK_SERVICE_NAME },
  statistic: "Sum",
  periodSeconds: 60,
  evaluationPeriods: 1,
  threshold: 0,
  comparisonOperator: "GreaterThanThreshold",
  treatMissingData: "notBreaching",
} as const;

export const WEBHOOK_ALARMS: readonly WebhookAlarmSpec[] = [
  {
    ...firstBadMinute,
    label: "WebhookPipelineFailed",
    metricName: "WebhookPipelineFailed",
    description:
      "The webhook receiver could not finish an event and answered 500; the registry retries it. Its logs say which event and why (docs/receiver.md)",
  },
  {
    ...firstBadMinute,
    label: "WebhookRejected",
    metricName: "WebhookRejected",
    description:
      "The webhook receiver refused an authenticated request (bad body, wrong content type, too large). Distribution retries it forever and holds that endpoint's queue: read the logged code (docs/receiver.md)",
  },
];
