// What one subscriber of a shared source reads: the results pushed to it, in order, at most
// `capacity` of them waiting (the oldest are dropped first, so the newest state, terminal
// included, always arrives), and then the end. A thin iterator rather than graphql-yoga's
// Repeater: with 10,000 subscribers every result is pushed 10,000 times, and the Repeater's
// promises per push were a tenth of the server's time (bench/findings.md, issue 13).
import type { ExecutionResult } from "graphql";

type Waiting = { resolve(result: IteratorResult<ExecutionResult>): void; reject(error: unknown): void };

export class SubscriberQueue implements AsyncIterableIterator<ExecutionResult> {
  private readonly buffered: ExecutionResult[] = [];
  private waiting: Waiting | null = null;
  /** Set once the source has ended: the end comes after what is buffered. */
  private ending: { error?: unknown } | null = null;
  private done = false;

  private readonly capacity: number;
  private readonly leave: () => void;
  /** `leave` runs once, when the subscriber goes (returned, or ended after the source). */
  constructor(
    capacity: number,
    leave: () => void,
  ) {
    this.capacity = capacity;
    this.leave = leave;
  }

  push(result: ExecutionResult): void {
    if (this.done || this.ending) return;
    if (this.waiting) {
      const { resolve } = this.waiting;
      this.waiting = null;
      resolve({ value: result, done: false });
      return;
    }
    this.buffered.push(result);
    if (this.buffered.length > this.capacity) this.buffered.shift();
  }

  /** The source ended (failed, with `error`): the subscriber ends after what it has not read. */
  stop(error?: unknown): void {
    if (this.done || this.ending) return;
    this.ending = { error };
    if (this.waiting && this.buffered.length === 0) {
      const waiting = this.waiting;
      this.waiting = null;
      this.settleEnd(waiting);
    }
  }

  next(): Promise<IteratorResult<ExecutionResult>> {
    if (this.buffered.length > 0) return Promise.resolve({ value: this.buffered.shift()!, done: false });
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      if (this.ending) this.settleEnd({ resolve, reject });
      else this.waiting = { resolve, reject };
    });
  }

  async return(): Promise<IteratorResult<ExecutionResult>> {
    this.finish();
    return { value: undefined, done: true };
  }

  async throw(error?: unknown): Promise<IteratorResult<ExecutionResult>> {
    this.finish();
    throw error;
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<ExecutionResult> {
    return this;
  }

  private settleEnd(waiting: Waiting): void {
    const error = this.ending?.error;
    this.finish();
    if (error !== undefined) waiting.reject(error);
    else waiting.resolve({ value: undefined, done: true });
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.buffered.length = 0;
    const waiting = this.waiting;
    this.waiting = null;
    waiting?.resolve({ value: undefined, done: true });
    this.leave();
  }
}
