/**
 * What a retention plan is computed against besides the inventory and the policy: the instant
 * (the domain never reads the clock), the policy version it names, and the digests running
 * workloads use (from an InUseProvider, read by the caller before planning).
 */
export interface PlanContext {
  now: Date;
  /** LoadedPolicy.version: recorded in the plan and covered by its planId. */
  policyVersion: string;
  inUse?: ReadonlySet<string>;
}

export class RetentionPlanError extends Error {
  readonly code = "RETENTION_PLAN_INPUT_INVALID";

  constructor(message: string) {
    super(message);
    this.name = "RetentionPlanError";
  }
}

/** `now` in milliseconds, refusing an invalid Date (it would make every age comparison false). */
export function planInstant(ctx: PlanContext): number {
  const ms = ctx.now instanceof Date ? ctx.now.getTime() : Number.NaN;
  if (Number.isNaN(ms)) {
    throw new RetentionPlanError(
      "the plan's now is not a valid date; pass the instant to plan for",
    );
  }
  return ms;
}
