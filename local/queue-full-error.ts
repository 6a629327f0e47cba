/** The pipeline is this far behind: the receiver refuses new events until it catches up. */
export class QueueFullError extends Error {
  readonly code = "LOCAL_QUEUE_FULL";
  readonly backlog: number;
  constructor(backlog: number, limit: number) {
    super(
      `${backlog} events are waiting for the pipeline (limit ${limit}); refused with 503 so the registry retries later`,
    );
    this.name = "QueueFullError";
    this.backlog = backlog;
  }
}
