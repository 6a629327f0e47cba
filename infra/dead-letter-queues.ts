import { DEAD_LETTER_RETENTION_SECONDS } from "./data/delivery-policy.ts";
import { FUNCTION_SPECS, perFunction } from "./data/function-specs.ts";

function deadLetterQueue(name: string) {
  return new sst.aws.Queue(name, {
    transform: {
      queue: {
        messageRetentionSeconds: DEAD_LETTER_RETENTION_SECONDS,
        // SSE-SQS: EventBridge and Lambda can send without any KMS grant.
        sqsManagedSseEnabled: true,
      },
    },
  });
}

/**
 * One queue per function for asynchronous invocations that failed every retry (the message is
 * the original event), and one for events EventBridge could not deliver to a function at all.
 */
export function deadLetterQueues() {
  const functions = perFunction((fn) => deadLetterQueue(`${FUNCTION_SPECS[fn].componentName}Dlq`));
  return { functions, eventDelivery: deadLetterQueue("EventDeliveryDlq") };
}

export type DeadLetterQueues = ReturnType<typeof deadLetterQueues>;
