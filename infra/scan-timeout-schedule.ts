import { EVENT_TARGET_RETRY } from "./data/delivery-policy.ts";
import { SCAN_TIMEOUT_SCHEDULE } from "./data/function-specs.ts";

/** Runs the scan-timeout sweep every 5 minutes; failed deliveries go to the event-delivery DLQ. */
export function scanTimeoutSchedule(fn: sst.aws.Function, deadLetterQueue: sst.aws.Queue) {
  return new sst.aws.Cron("ScanTimeoutSchedule", {
    schedule: SCAN_TIMEOUT_SCHEDULE,
    function: fn,
    transform: {
      target: {
        retryPolicy: { ...EVENT_TARGET_RETRY },
        deadLetterConfig: { arn: deadLetterQueue.arn },
      },
    },
  });
}
