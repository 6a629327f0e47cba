import type { IgnoredEvent, RegistryEvent } from "../shared/domain/registry-event.ts";
import type { Log } from "../shared/ports.ts";

export type QueuedEvent = RegistryEvent | IgnoredEvent;
export type EventHandler = (event: QueuedEvent) => Promise<unknown>;

export interface EventQueueOptions {
  /** Runs one event (the pipeline's handleEvent, in the local runtime). */
  handler: EventHandler;
  /** Events handled at once, across images. Default 4. */
  concurrency?: number;
  /** Attempts per event before it is dead-lettered. Default 5. */
  maxAttempts?: number;
  /** Milliseconds to wait after the n-th failed attempt. Default 100 ms doubling, at most 5 s. */
  backoffMs?: (failedAttempts: number) => number;
  /** Errors worth retrying; the others are dead-lettered at once. Default: every error. */
  isRetryable?: (error: unknown) => boolean;
  /** Events with one key run one at a time, in order. Default: per image digest (imageLaneKey). */
  keyOf?: (event: QueuedEvent) => string;
  log?: Log;
  /** Stamps dead letters. */
  now?: () => Date;
}

export interface DeadLetter {
  event: QueuedEvent;
  attempts: number;
  error: unknown;
  /** The last error's message. */
  message: string;
  failedAt: string;
}

export interface EventQueueStats {
  /** Events enqueued so far. */
  received: number;
  /** Handled successfully. */
  done: number;
  /** Dead-lettered. */
  failed: number;
  /** Being handled right now. */
  inFlight: number;
  /** Waiting for their turn. */
  queued: number;
  /** Waiting out a backoff before their next attempt. */
  retrying: number;
  /** Attempts that failed and were retried. */
  retries: number;
}

export class EventQueueClosedError extends Error {
  override readonly name = "EventQueueClosedError";
  readonly code = "EVENT_QUEUE_CLOSED";
  constructor() {
    super("the event queue is closed and takes no more events");
  }
}

/** A push tag that names another image: cosign's `sha256-<hex>.sig|.att|.sbom`, a referrers index. */
const SUBJECT_TAG_RE = /^sha256-([a-f0-9]{64})(?:\.(?:sig|att|sbom))?$/;

/**
 * The image an event is about, by digest: a referrer's subject when the event names one (its
 * push decides the subject), else the event's own image. Ignored events have a lane each.
 */
export function imageLaneKey(event: QueuedEvent): string {
  if (event.kind === "ignored") return `event:${event.eventId}`;
  const { registry, registryId } = event.image;
  let digest = event.image.digest;
  if (event.kind === "referrer-pushed" && event.subjectDigest) digest = event.subjectDigest;
  else if (event.kind === "image-pushed") {
    for (const tag of event.image.tags) {
      const m = SUBJECT_TAG_RE.exec(tag);
      if (m) digest = `sha256:${m[1]}`;
    }
  }
  return `${registry}:${registryId}@${digest}`;
}

interface Lane {
  key: string;
  items: QueuedEvent[];
  /** Attempts made on items[0]. */
  attempts: number;
  /** Running or backing off: not to be scheduled again until that ends. */
  busy: boolean;
  scheduled: boolean;
}

/**
 * The in-process bus of the local runtime: events run through `handler` with bounded
 * concurrency, one at a time and in arrival order per image (the audit chain of an image is
 * appended in order, and a scan decision never overtakes its push). A failing event is retried
 * with backoff while the rest of its image waits; after the last attempt it goes to the
 * dead-letter list and its image's next event runs. Nothing is dropped silently.
 */
export class EventQueue {
  private readonly handler: EventHandler;
  private readonly concurrency: number;
  private readonly maxAttempts: number;
  private readonly backoffMs: (failedAttempts: number) => number;
  private readonly isRetryable: (error: unknown) => boolean;
  private readonly keyOf: (event: QueuedEvent) => string;
  private readonly log: Log | undefined;
  private readonly now: () => Date;

  private readonly lanes = new Map<string, Lane>();
  private readonly ready: Lane[] = [];
  private readonly dead: DeadLetter[] = [];
  private readonly idleWaiters: (() => void)[] = [];
  private counts = { received: 0, done: 0, failed: 0, retries: 0 };
  private pending = 0;
  private running = 0;
  private backingOff = 0;
  private closed = false;

  constructor(handler: EventHandler, options?: Omit<EventQueueOptions, "handler">);
  constructor(options: EventQueueOptions);
  constructor(
    first: EventHandler | EventQueueOptions,
    rest: Omit<EventQueueOptions, "handler"> = {},
  ) {
    const o: EventQueueOptions = typeof first === "function" ? { ...rest, handler: first } : first;
    this.handler = o.handler;
    this.concurrency = positiveInteger("concurrency", o.concurrency ?? 4);
    this.maxAttempts = positiveInteger("maxAttempts", o.maxAttempts ?? 5);
    this.backoffMs = o.backoffMs ?? ((n) => Math.min(100 * 2 ** (n - 1), 5_000));
    this.isRetryable = o.isRetryable ?? (() => true);
    this.keyOf = o.keyOf ?? imageLaneKey;
    this.log = o.log;
    this.now = o.now ?? (() => new Date());
  }

  /** Queues events in the order given; returns at once. */
  enqueue(events: readonly QueuedEvent[]): void {
    if (this.closed) throw new EventQueueClosedError();
    for (const event of events) {
      const key = this.keyOf(event);
      let lane = this.lanes.get(key);
      if (!lane) {
        lane = { key, items: [], attempts: 0, busy: false, scheduled: false };
        this.lanes.set(key, lane);
      }
      lane.items.push(event);
      this.counts.received++;
      this.pending++;
      if (!lane.busy) this.schedule(lane);
    }
    this.pump();
  }

  /** Resolves once every event enqueued so far is done or dead-lettered. */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Takes no more events, and resolves once those already queued are finished. */
  close(): Promise<void> {
    this.closed = true;
    return this.idle();
  }

  deadLetters(): readonly DeadLetter[] {
    return [...this.dead];
  }

  stats(): EventQueueStats {
    return {
      ...this.counts,
      inFlight: this.running,
      retrying: this.backingOff,
      queued: this.pending - this.running - this.backingOff,
    };
  }

  private schedule(lane: Lane): void {
    lane.busy = false;
    if (lane.scheduled || lane.items.length === 0) return;
    lane.scheduled = true;
    this.ready.push(lane);
  }

  private pump(): void {
    while (this.running < this.concurrency) {
      const lane = this.ready.shift();
      if (!lane) break;
      lane.scheduled = false;
      lane.busy = true;
      this.running++;
      void this.attempt(lane);
    }
    if (this.isIdle()) for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private async attempt(lane: Lane): Promise<void> {
    const event = lane.items[0] as QueuedEvent;
    lane.attempts++;
    let failure: { error: unknown } | undefined;
    try {
      await this.handler(event);
    } catch (error) {
      failure = { error };
    }
    this.running--;
    if (!failure) {
      this.counts.done++;
      this.next(lane);
    } else if (lane.attempts < this.maxAttempts && this.isRetryable(failure.error)) {
      this.retryLater(lane, event, failure.error);
    } else {
      this.deadLetter(lane, event, failure.error);
      this.next(lane);
    }
    this.pump();
  }

  private retryLater(lane: Lane, event: QueuedEvent, error: unknown): void {
    const delay = Math.max(0, this.backoffMs(lane.attempts));
    this.counts.retries++;
    this.backingOff++;
    this.log?.warn("event failed; retrying", {
      eventId: event.eventId,
      kind: event.kind,
      attempt: lane.attempts,
      maxAttempts: this.maxAttempts,
      retryInMs: delay,
      error: messageOf(error),
    });
    setTimeout(() => {
      this.backingOff--;
      this.schedule(lane);
      this.pump();
    }, delay);
  }

  private deadLetter(lane: Lane, event: QueuedEvent, error: unknown): void {
    this.counts.failed++;
    const message = messageOf(error);
    this.dead.push({
      event,
      attempts: lane.attempts,
      error,
      message,
      failedAt: this.now().toISOString(),
    });
    this.log?.error("event dead-lettered", {
      eventId: event.eventId,
      kind: event.kind,
      attempts: lane.attempts,
      error: message,
    });
  }

  /** The lane's head is finished (done or dead-lettered): on to its next event. */
  private next(lane: Lane): void {
    lane.items.shift();
    lane.attempts = 0;
    this.pending--;
    if (lane.items.length === 0) {
      this.lanes.delete(lane.key);
      lane.busy = false;
    } else this.schedule(lane);
  }

  private isIdle(): boolean {
    return this.pending === 0;
  }
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`EventQueue ${name} must be a positive integer; got ${String(value)}`);
  }
  return value;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
