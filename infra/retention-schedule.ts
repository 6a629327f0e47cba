import {
  policyJson,
  type RetentionScheduleSpec,
  schedulerRoleStatements,
  schedulerTrustPolicy,
} from "./data/retention-schedule.ts";
import type { DeploymentLocation } from "./location.ts";

export interface RetentionScheduleInput {
  spec: RetentionScheduleSpec;
  location: DeploymentLocation;
  fn: sst.aws.Function;
  /** Where invocations Scheduler could not deliver go (the stage's event-delivery DLQ). */
  deadLetterQueue: sst.aws.Queue;
}

/**
 * The policy's retention schedule: an EventBridge Scheduler schedule invoking retention-run with
 * the payload from infra/data/retention-schedule.ts, through a role only Scheduler of this
 * account may assume and that may only invoke that function and dead-letter.
 */
export function retentionSchedule(input: RetentionScheduleInput) {
  const { spec, location, fn, deadLetterQueue } = input;
  const role = new aws.iam.Role(`${spec.componentName}Role`, {
    description: `${$app.name} ${$app.stage}: EventBridge Scheduler invokes retention-run`,
    assumeRolePolicy: location.account.apply((account) =>
      JSON.stringify(schedulerTrustPolicy(account)),
    ),
  });
  const rolePolicy = new aws.iam.RolePolicy(`${spec.componentName}RolePolicy`, {
    role: role.id,
    policy: $util
      .all([fn.arn, deadLetterQueue.arn])
      .apply(([functionArn, queueArn]) =>
        policyJson(schedulerRoleStatements(functionArn, queueArn)),
      ),
  });
  const schedule = new aws.scheduler.Schedule(
    spec.componentName,
    {
      description: `${$app.name} ${$app.stage}: ${spec.description}`,
      scheduleExpression: spec.scheduleExpression,
      scheduleExpressionTimezone: spec.scheduleExpressionTimezone,
      flexibleTimeWindow: spec.flexibleTimeWindow,
      target: {
        arn: fn.arn,
        roleArn: role.arn,
        input: JSON.stringify(spec.input),
        retryPolicy: spec.retryPolicy,
        deadLetterConfig: { arn: deadLetterQueue.arn },
      },
    },
    // The first invocation must not race the role's permissions.
    { dependsOn: [rolePolicy] },
  );
  return { schedule, role };
}
