// Progress of one running operation: published to subscribers often, written to the
// database sparingly.
import type { Clock } from "../kernel/index.ts";
import { etaSeconds, type OperationSnapshot } from "./operation-snapshot.ts";

export interface ProgressSink {
  publish(snapshot: OperationSnapshot): void;
  persist(snapshot: OperationSnapshot): Promise<void>;
}

export class Progress {
  private lastPublish = 0;
  private lastPersist = 0;
  private movingSince: number | null = null;
  private persisting: Promise<void> = Promise.resolve();

  private current: OperationSnapshot;
  private readonly sink: ProgressSink;
  private readonly clock: Clock;
  private readonly timing: { publishMs: number; persistMs: number };
  constructor(
    current: OperationSnapshot,
    sink: ProgressSink,
    clock: Clock,
    timing: { publishMs: number; persistMs: number },
  ) {
    this.current = current;
    this.sink = sink;
    this.clock = clock;
    this.timing = timing;
  }

  get snapshot(): OperationSnapshot {
    return this.current;
  }

  /** Enters a named step; published and written at once. */
  async step(name: string): Promise<void> {
    this.update({ step: name });
    await this.flush();
  }

  /** Adds to the bytes the operation has to move. */
  addTotal(bytes: number): void {
    this.update({ bytesTotal: this.current.bytesTotal + bytes });
  }

  advance(bytes: number): void {
    const now = this.clock.millis();
    this.movingSince ??= now;
    const bytesDone = this.current.bytesDone + bytes;
    const elapsed = (now - this.movingSince) / 1000;
    const throughput = elapsed > 0 ? bytesDone / elapsed : 0;
    this.update({ bytesDone, throughput });
    if (now - this.lastPublish >= this.timing.publishMs) this.publish();
    if (now - this.lastPersist >= this.timing.persistMs) this.persistInBackground();
  }

  /** Publishes and writes the current state now. */
  async flush(): Promise<void> {
    this.publish();
    this.persistInBackground();
    await this.persisting;
  }

  private update(change: Partial<OperationSnapshot>): void {
    const next = { ...this.current, ...change, changedAt: this.clock.millis() };
    next.progress = next.bytesTotal > 0 ? Math.min(1, next.bytesDone / next.bytesTotal) : next.progress;
    next.etaSeconds = etaSeconds(next.bytesDone, next.bytesTotal, next.throughput);
    this.current = next;
  }

  private publish(): void {
    this.lastPublish = this.clock.millis();
    this.sink.publish(this.current);
  }

  private persistInBackground(): void {
    this.lastPersist = this.clock.millis();
    const snapshot = this.current;
    this.persisting = this.persisting.then(() => this.sink.persist(snapshot)).catch(() => undefined);
  }
}
