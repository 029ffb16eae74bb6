// An owner's lease on a RUNNING operation: the owner (ownerId) and the fencing token (claim)
// it got when it claimed or took the operation over. Another instance that takes the
// operation over raises the claim, so an owner that was only paused (a long GC, a stopped VM)
// and wakes afterwards holds nothing: its heartbeat finds that out and aborts the run, and
// every write that matters goes through `fenced`, which writes nothing once the lease is gone.
import type { Db } from "../../db/client.ts";
import type { Prisma } from "../../db/prisma.ts";
import type { Clock } from "../kernel/index.ts";

/** The run's lease is gone: another instance owns the operation now; this one writes nothing more. */
export class LeaseLostError extends Error {
  constructor(operationId: string) {
    super(`the lease on operation ${operationId} is lost: another instance took it over`);
    this.name = "LeaseLostError";
  }
}

type Statement = Prisma.PrismaPromise<unknown>;

export class Lease {
  readonly operationId: string;
  readonly ownerId: string;
  readonly claim: number;
  private readonly db: Db;
  private readonly clock: Clock;

  constructor(db: Db, clock: Clock, held: { operationId: string; ownerId: string; claim: number }) {
    this.db = db;
    this.clock = clock;
    this.operationId = held.operationId;
    this.ownerId = held.ownerId;
    this.claim = held.claim;
  }

  /** The operation row as long as this lease holds it. */
  get where() {
    return { id: this.operationId, ownerId: this.ownerId, claim: this.claim, status: "RUNNING" as const };
  }

  /** Renews the heartbeat; false when the lease is gone. */
  async renew(): Promise<boolean> {
    const { count } = await this.db.operation.updateMany({ where: this.where, data: { heartbeatAt: this.clock.now() } });
    return count === 1;
  }

  /** Throws LeaseLostError when the lease is gone: before an effect outside the database (a power change). */
  async check(): Promise<void> {
    if (!(await this.renew())) throw new LeaseLostError(this.operationId);
  }

  /**
   * Runs the statements in one transaction behind a statement that fails unless the lease
   * still holds, so they all happen under it or none does (LeaseLostError). On PostgreSQL that
   * first statement also locks the operation row: a takeover waits for the transaction to end.
   */
  async fenced(statements: Statement[]): Promise<void> {
    try {
      await this.db.$transaction([this.db.operation.update({ where: this.where, data: { heartbeatAt: this.clock.now() } }), ...statements]);
    } catch (error) {
      if (!(await this.renew().catch(() => true))) throw new LeaseLostError(this.operationId);
      throw error;
    }
  }
}
