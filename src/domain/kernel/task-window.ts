// A bounded number of tasks in flight: capture writes chunks and restore decodes them while
// the next ones are read, without holding a whole volume in memory.
export class TaskWindow {
  private readonly running = new Set<Promise<void>>();
  private failure: unknown = null;

  private readonly size: number;
  constructor(size: number) {
    this.size = size;
  }

  /** Starts a task; waits first while the window is full. Rethrows an earlier task's failure. */
  async add(task: () => Promise<void>): Promise<void> {
    while (this.running.size >= this.size) await Promise.race(this.running);
    if (this.failure) throw this.failure;
    const promise: Promise<void> = task()
      .catch((error) => {
        this.failure ??= error;
      })
      .finally(() => this.running.delete(promise));
    this.running.add(promise);
  }

  /** Waits for every task; rethrows the first failure. Always call it, also on error paths. */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.running]);
    if (this.failure) throw this.failure;
  }
}
