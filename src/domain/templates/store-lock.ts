// Captures write chunks before they reference them; the sweep that removes unreferenced
// chunks must not run meanwhile. Captures share this lock, sweeps take it alone. A waiting
// sweep goes before captures that arrive after it, so a stream of captures cannot starve it.
// Within one process, StoreLock; across the instances of one PostgreSQL database, the
// advisory lock of db/postgresql-store-lock.ts, chosen by db/client.ts's storeLockFor.

export interface ChunkStoreLock {
  /**
   * Runs `work` while no sweep runs (any number of captures at once). `holder` names who holds
   * it (the operation), for evict.
   */
  shared<T>(work: () => Promise<T>, holder?: string): Promise<T>;
  /** Runs `work` alone: no capture and no other sweep meanwhile. */
  exclusive<T>(work: () => Promise<T>): Promise<T>;
  /**
   * Ends the holds of `holder`, an operation another instance took over: its old owner may be
   * paused, not dead, and a sweep must not wait for it to wake (when it does, its lease is
   * gone and it references nothing).
   */
  evict(holder: string): Promise<void>;
}

export class StoreLock implements ChunkStoreLock {
  private readers = 0;
  private writer = false;
  private writersWaiting = 0;
  private waiting: Array<() => void> = [];

  /** Within one process no hold outlives its operation's owner. */
  async evict(): Promise<void> {}

  async shared<T>(work: () => Promise<T>): Promise<T> {
    while (this.writer || this.writersWaiting > 0) await this.wait();
    this.readers++;
    try {
      return await work();
    } finally {
      this.readers--;
      this.wake();
    }
  }

  async exclusive<T>(work: () => Promise<T>): Promise<T> {
    this.writersWaiting++;
    try {
      while (this.writer || this.readers > 0) await this.wait();
    } finally {
      this.writersWaiting--;
    }
    this.writer = true;
    try {
      return await work();
    } finally {
      this.writer = false;
      this.wake();
    }
  }

  private wait(): Promise<void> {
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private wake(): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const resolve of waiting) resolve();
  }
}
