/**
 * A queue of async tasks with at most `concurrency` running: for work that arrives one item at
 * a time (a registry's per-digest callback) and must not fan out without bound.
 */
export class BoundedQueue {
  private readonly concurrency: number;
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly pending = new Set<Promise<unknown>>();

  constructor(concurrency: number) {
    this.concurrency = Math.max(1, Math.floor(concurrency) || 1);
  }

  /** Starts `task` when a slot is free; the promise settles with the task. */
  run<T>(task: () => Promise<T>): Promise<T> {
    const p = this.acquire().then(async () => {
      try {
        return await task();
      } finally {
        this.release();
      }
    });
    this.pending.add(p);
    const forget = () => this.pending.delete(p);
    p.then(forget, forget);
    return p;
  }

  /** Waits for every task queued so far (and any they queue) to settle. */
  async drain(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  private acquire(): Promise<void> {
    if (this.running < this.concurrency) {
      this.running += 1;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running -= 1;
  }
}
