/** How failed deliveries are retried and kept, as plain data. */

/**
 * EventBridge → Lambda target retries (throttling, Lambda unavailable). After an hour an event
 * goes to the event-delivery dead-letter queue, where an alarm makes a person look.
 */
export const EVENT_TARGET_RETRY = {
  maximumRetryAttempts: 8,
  maximumEventAgeInSeconds: 3600,
} as const;

/** Dead-letter messages are kept for SQS's maximum, 14 days: time to notice, fix and redrive. */
export const DEAD_LETTER_RETENTION_SECONDS = 14 * 24 * 60 * 60;
