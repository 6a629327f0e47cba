import type { RetentionPolicy } from "../../shared/domain/retention-policy.ts";
import type { RetentionPayloadInput } from "../../shared/retention/retention-payload.ts";
import { EVENT_TARGET_RETRY } from "./delivery-policy.ts";
import type { IamStatement } from "./iam-statements.ts";

/**
 * The retention schedule as plain data: an EventBridge Scheduler schedule that invokes
 * retention-run with a fixed payload, through a role Scheduler assumes that may only invoke that
 * function and dead-letter to the event-delivery queue. infra/retention-schedule.ts turns it
 * into components; tests read it directly.
 */

export class RetentionScheduleError extends Error {
  override readonly name = "RetentionScheduleError";
  readonly code = "RETENTION_SCHEDULE";
}

export interface RetentionScheduleSpec {
  /** SST component name (PascalCase, unique in the app). */
  componentName: "RetentionSchedule";
  description: string;
  scheduleExpression: string;
  /** cron() and at() expressions are read in UTC. */
  scheduleExpressionTimezone: "UTC";
  /** Runs start when the expression says: people read the schedule as a time of day. */
  flexibleTimeWindow: { mode: "OFF" };
  /** What retention-run receives (JSON-encoded as the target's input). */
  input: RetentionPayloadInput;
  retryPolicy: { maximumRetryAttempts: number; maximumEventAgeInSeconds: number };
}

const MINIMUM_RATE_MINUTES = 60;
const RATE = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;

/**
 * Scheduler accepts cron(6 fields), rate(value unit) and a one-time at(date-time). Rates under
 * an hour are refused: a run may take longer than that and continue itself, and two runs over
 * the same repositories only double the ECR calls.
 */
export function checkScheduleExpression(expression: string): string {
  const rate = RATE.exec(expression);
  if (rate) {
    const value = Number(rate[1]);
    const unit = rate[2] as string;
    const minutes = value * (unit.startsWith("minute") ? 1 : unit.startsWith("hour") ? 60 : 1440);
    if (value < 1 || minutes < MINIMUM_RATE_MINUTES) {
      throw new RetentionScheduleError(
        `retention.schedule ${expression}: runs at most once an hour (a run may take longer than a few minutes and continue itself)`,
      );
    }
    return expression;
  }
  if (/^cron\(\S+( \S+){5}\)$/.test(expression)) return expression;
  if (/^at\(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\)$/.test(expression)) return expression;
  throw new RetentionScheduleError(
    `retention.schedule ${JSON.stringify(expression)}: expected an EventBridge Scheduler expression, cron(minutes hours day-of-month month day-of-week year), rate(N hours|days) or at(yyyy-mm-ddThh:mm:ss)`,
  );
}

/** The payload every scheduled run gets: apply only when the policy says scheduled runs apply. */
export function scheduledPayload(
  policy: Pick<RetentionPolicy, "scheduleApplies">,
): RetentionPayloadInput {
  return { dryRun: !policy.scheduleApplies, source: "schedule" };
}

/** The schedule for this policy, or null when retention runs on demand only. */
export function retentionScheduleSpec(
  policy: Pick<RetentionPolicy, "schedule" | "scheduleApplies">,
): RetentionScheduleSpec | null {
  if (policy.schedule === undefined) return null;
  const mode = policy.scheduleApplies ? "applies the plan" : "plans only (dry run) and alerts";
  return {
    componentName: "RetentionSchedule",
    description: `Retention and garbage collection on the policy's schedule; ${mode}`,
    scheduleExpression: checkScheduleExpression(policy.schedule.trim()),
    scheduleExpressionTimezone: "UTC",
    flexibleTimeWindow: { mode: "OFF" },
    input: scheduledPayload(policy),
    retryPolicy: { ...EVENT_TARGET_RETRY },
  };
}

export interface TrustPolicy {
  Version: "2012-10-17";
  Statement: {
    Sid: string;
    Effect: "Allow";
    Principal: { Service: string };
    Action: "sts:AssumeRole";
    Condition: Record<string, Record<string, string>>;
  }[];
}

/**
 * Who may assume the schedule's role: EventBridge Scheduler, for schedules of this account only
 * (the confused-deputy guard "Confused deputy prevention in EventBridge Scheduler" recommends).
 */
export function schedulerTrustPolicy(account: string): TrustPolicy {
  if (!/^\d{12}$/.test(account)) {
    throw new RetentionScheduleError(`account ${JSON.stringify(account)} is not valid`);
  }
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "EventBridgeSchedulerOfThisAccount",
        Effect: "Allow",
        Principal: { Service: "scheduler.amazonaws.com" },
        Action: "sts:AssumeRole",
        Condition: { StringEquals: { "aws:SourceAccount": account } },
      },
    ],
  };
}

function concreteArn(label: string, arn: string, service: string): string {
  if (!arn.startsWith("arn:") || arn.split(":")[2] !== service || arn.includes("*")) {
    throw new RetentionScheduleError(
      `${label} must be a concrete ${service} ARN without wildcards, got ${JSON.stringify(arn)}`,
    );
  }
  return arn;
}

/**
 * What the schedule's role may do: invoke retention-run (nothing else), and send undeliverable
 * invocations to the dead-letter queue — Scheduler sends them with this role ("Configuring a
 * schedule's dead-letter queue"), so the queue's own policy needs no statement for it.
 */
export function schedulerRoleStatements(
  functionArn: string,
  deadLetterQueueArn: string,
): IamStatement[] {
  return [
    {
      sid: "InvokeRetentionRun",
      effect: "allow",
      actions: ["lambda:InvokeFunction"],
      resources: [concreteArn("functionArn", functionArn, "lambda")],
    },
    {
      sid: "DeadLetterUndeliverableRuns",
      effect: "allow",
      actions: ["sqs:SendMessage"],
      resources: [concreteArn("deadLetterQueueArn", deadLetterQueueArn, "sqs")],
    },
  ];
}

/** IAM JSON for a role's inline policy from plain statements. */
export function policyJson(statements: readonly IamStatement[]): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: statements.map((s) => ({
      Sid: s.sid,
      Effect: "Allow",
      Action: s.actions,
      Resource: s.resources,
    })),
  });
}
