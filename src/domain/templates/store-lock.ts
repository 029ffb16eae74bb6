// Captures write chunks before they reference them; the sweep that removes unreferenced
// chunks must not run meanwhile. Captures share this lock, sweeps take it alone. A waiting
// sweep goes before captures that arrive after it, so a stream of captures cannot starve it.
// In-process only: several instances on one store need a database lock (docs/decisions/image-store.md).
export class StoreLock {
  private readers = 0;
  private writer = false;
  private writersWaiting = 0;
  private waiting: Array<() => void> = [];

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
