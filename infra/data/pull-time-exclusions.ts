import { FUNCTION_SDK_CALLS } from "./function-sdk-calls.ts";
import { FUNCTION_NAMES, type FunctionName } from "./function-specs.ts";

/**
 * ECR records `lastRecordedPullTime` for every BatchGetImage, including ours: resolving an image
 * on each event, or reading an index's children for retention, would make images look freshly
 * pulled, and pull-based retention rules (latestPulledN, nDaysSinceLastPull, pulledWithinDays)
 * would then keep them for ever. Every function role that reads manifests is therefore
 * registered in the registry's pull-time update exclusion list
 * (ecr:RegisterPullTimeUpdateExclusion, done by the deployment, not at run time).
 */
export const PULL_TIME_EXCLUDED_FUNCTIONS: readonly FunctionName[] = FUNCTION_NAMES.filter((fn) =>
  FUNCTION_SDK_CALLS[fn].includes("ecr:BatchGetImage"),
);
