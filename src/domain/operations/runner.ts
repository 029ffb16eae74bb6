// The in-process operation runner. The Operation table is the queue and the
// truth; events are the news. A RUNNING row names its owner (this process) and carries a
// heartbeat, so any instance can tell a crashed owner from a busy one and roll back its
// work through the pipeline's one cleanup path.
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import type { DomainDeps } from "../deps.ts";
import { ConflictError, HostUnavailableError, describeError, faultOf, transitionOperation } from "../kernel/index.ts";
import { toSnapshot, type OperationRow, type OperationSnapshot } from "./operation-snapshot.ts";
import type { AnyPipeline, RollbackContext, RollbackReason, RunContext } from "./pipeline.ts";
import { Lease, LeaseLostError } from "./lease.ts";
import { Progress } from "./progress.ts";
import type { OperationKind, OperationStatus } from "../kernel/index.ts";

const CANCEL = "cancel";
const SHUTDOWN = "shutdown";
const LEASE_LOST = "lease lost";
/** Recovery of other instances' stale operations runs every this many heartbeats. */
const RECOVERY_EVERY_TICKS = 1;

interface Running {
  controller: AbortController;
  lease: Lease;
  progress: Progress;
  done: Promise<void>;
}

/** Work of no operation that every heartbeat does. */
export interface Housekeeping {
  name: string;
  run(): Promise<void>;
}

interface Outcome {
  status: Extract<OperationStatus, "SUCCEEDED" | "FAILED" | "CANCELLED">;
  errorCode?: string;
  errorMessage?: string;
}

export class OperationRunner {
  readonly ownerId = `${hostname()}/${process.pid}/${randomBytes(4).toString("hex")}`;
  private readonly running = new Map<string, Running>();
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private ticks = 0;
  private stopped = true;
  /** Draining: no more claims; the operations running here go on. */
  private draining = false;
  private pumping = false;
  private pumpAgain = false;
  /** Operations waiting to retry their rollback and end (see settle). */
  private afterNextTick: Array<() => void> = [];

  private readonly deps: DomainDeps;
  private readonly pipelines: ReadonlyMap<OperationKind, AnyPipeline>;
  private readonly housekeeping: ReadonlyArray<Housekeeping>;
  /**
   * `housekeeping`: work of no operation that every heartbeat does (a retirement time that has
   * come). It must be safe on every instance at once; a failure is logged and tried again at the next.
   */
  constructor(
    deps: DomainDeps,
    pipelines: ReadonlyMap<OperationKind, AnyPipeline>,
    housekeeping: ReadonlyArray<Housekeeping> = [],
  ) {
    this.deps = deps;
    this.pipelines = pipelines;
    this.housekeeping = housekeeping;
  }

  async start(): Promise<void> {
    this.stopped = false;
    await this.deps.hosts.beat({ starting: true });
    await this.recover({ includeDanglingLocks: true });
    this.timer = setInterval(() => {
      // One heartbeat at a time, and stop() waits for the last one: none runs on a closed database.
      if (!this.ticking) this.ticking = this.tick().finally(() => (this.ticking = undefined));
    }, this.deps.config.heartbeatMs);
    this.timer.unref();
    this.notify();
  }

  /**
   * Stops claiming work and waits up to `ms` for the operations running here to end by
   * themselves (a rolling restart); returns how many are still running. stop() then
   * interrupts those.
   */
  async drain(ms: number): Promise<number> {
    this.draining = true;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.running.values()].map((run) => run.done)),
      new Promise((resolve) => (timer = setTimeout(resolve, ms))),
    ]);
    clearTimeout(timer);
    return this.running.size;
  }

  /** Stops taking work; operations still running are interrupted and rolled back. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    const all = [...this.running.values()];
    for (const run of all) run.controller.abort(SHUTDOWN);
    const waiting = this.afterNextTick;
    this.afterNextTick = [];
    for (const resolve of waiting) resolve(); // settle() gives up once stopped
    await Promise.allSettled([...all.map((run) => run.done), this.ticking]);
  }

  /** Asks the runner to look for queued work now (called after a request queues some). */
  notify(): void {
    void this.pump().catch((error) => this.deps.log.error("runner: queue scan failed", { error: String(error) }));
  }

  /** The freshest state of an operation this process runs, ahead of the database. */
  live(operationId: string): OperationSnapshot | undefined {
    return this.running.get(operationId)?.progress.snapshot;
  }

  /**
   * Cancels a QUEUED operation at once (rolled back here), or asks a RUNNING one to stop
   * (its owner rolls it back). Terminal operations are a ConflictError naming their state.
   */
  async cancel(row: OperationRow): Promise<void> {
    const { db } = this.deps;
    const pipeline = this.pipelineFor(row.kind);
    if (row.status === "QUEUED") {
      if (await this.endQueued(row, { status: "CANCELLED", errorCode: "CANCELLED", errorMessage: "cancelled before it started" })) return;
      row = (await db.operation.findUniqueOrThrow({ where: { id: row.id } })) as OperationRow;
    }
    if (row.status !== "RUNNING") {
      throw new ConflictError(`operation ${row.id} is already ${row.status}`, row.status);
    }
    if (!pipeline.cancellableWhileRunning) {
      throw new ConflictError(`a running ${row.kind} operation cannot be cancelled`, "RUNNING");
    }
    await db.operation.update({ where: { id: row.id }, data: { cancelRequested: true } });
    const local = this.running.get(row.id);
    if (local) local.controller.abort(CANCEL);
  }

  /**
   * Ends a QUEUED operation before it ran: claims it (false when another instance or runner
   * got there first), undoes what queueing it did, and records `outcome`.
   */
  private async endQueued(row: OperationRow, outcome: Outcome): Promise<boolean> {
    const now = this.deps.clock.now();
    const cancelled = outcome.status === "CANCELLED";
    const claimed = await transitionOperation(this.deps.db, { id: row.id, claim: row.claim }, "RUNNING", {
      ownerId: this.ownerId,
      heartbeatAt: now,
      startedAt: now,
      ...(cancelled ? { cancelRequested: true } : {}),
      claim: { increment: 1 },
    });
    if (claimed.count !== 1) return false;
    const claimedRow = { ...row, status: "RUNNING" as const, cancelRequested: row.cancelRequested || cancelled, ownerId: this.ownerId, claim: row.claim + 1 };
    const lease = this.leaseOf(claimedRow);
    await this.settle(row.id, async () => {
      await this.pipelineFor(row.kind).rollback({ ...this.rollbackContext(claimedRow, lease), reason: reasonOf(outcome) });
      await this.finish(toSnapshot(claimedRow), outcome, lease);
    }, { waitForRetries: false });
    return true;
  }

  private pipelineFor(kind: OperationKind): AnyPipeline {
    const pipeline = this.pipelines.get(kind);
    if (!pipeline) throw new Error(`no pipeline for operation kind ${kind}`);
    return pipeline;
  }

  private async pump(): Promise<void> {
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.pumpAgain = false;
        const free = this.deps.config.maxConcurrentOperations - this.running.size;
        if (this.stopped || this.draining || free <= 0) break;
        const queued = await this.deps.db.operation.findMany({
          where: { AND: [{ status: "QUEUED" }, this.deps.hosts.claimable()] },
          orderBy: { id: "asc" },
          take: free,
        });
        for (const row of queued) {
          if (this.stopped || this.running.size >= this.deps.config.maxConcurrentOperations) break;
          const now = this.deps.clock.now();
          const claimed = await transitionOperation(this.deps.db, { id: row.id, claim: row.claim }, "RUNNING", {
            ownerId: this.ownerId,
            heartbeatAt: now,
            startedAt: now,
            claim: { increment: 1 },
          });
          if (claimed.count === 1) {
            this.deps.log.info("operation RUNNING", { operationId: row.id, kind: row.kind, accountId: row.accountId });
            this.execute({ ...row, status: "RUNNING", ownerId: this.ownerId, startedAt: now, claim: row.claim + 1 });
          }
        }
      } while (this.pumpAgain);
    } finally {
      this.pumping = false;
    }
  }

  private leaseOf(row: OperationRow): Lease {
    return new Lease(this.deps.db, this.deps.clock, { operationId: row.id, ownerId: this.ownerId, claim: row.claim });
  }

  private execute(row: OperationRow): void {
    const pipeline = this.pipelineFor(row.kind);
    const controller = new AbortController();
    const lease = this.leaseOf(row);
    const progress = new Progress(toSnapshot({ ...row, updatedAt: this.deps.clock.now() }), this.progressSink(lease), this.deps.clock, {
      publishMs: this.deps.config.progressPublishMs,
      persistMs: this.deps.config.progressPersistMs,
    });
    const base = this.rollbackContext(row, lease);
    const ctx: RunContext<unknown, Record<string, unknown>> = {
      ...base,
      signal: controller.signal,
      progress,
      remember: async (facts) => {
        Object.assign(base.undo, facts);
        await lease.fenced([this.deps.db.operation.update({ where: lease.where, data: { undo: JSON.stringify(base.undo) } })]);
      },
    };
    const done = (async () => {
      let outcome: Outcome;
      let rolledBack = true;
      try {
        await progress.flush();
        await pipeline.run(ctx);
        outcome = { status: "SUCCEEDED" };
      } catch (error) {
        if (this.lost(error, controller.signal, row)) return;
        outcome = this.outcomeOf(error, controller.signal, row);
        rolledBack = false;
      }
      await this.settle(row.id, async () => {
        try {
          if (!rolledBack) {
            // A run that failed because it was taken over must not undo what its new owner did.
            await lease.check();
            const result = await pipeline.rollback({ ...base, reason: reasonOf(outcome) });
            rolledBack = true;
            // Past its point of no return the operation was finished instead.
            if (result === "completed") outcome = { status: "SUCCEEDED" };
          }
          await progress.flush();
          await this.finish(progress.snapshot, outcome, lease);
        } catch (error) {
          // Whoever holds the operation now rolls it back and ends it.
          if (!this.lost(error, controller.signal, row)) throw error;
        }
      });
    })()
      .catch((error) => this.deps.log.error("runner: finishing an operation failed", { operationId: row.id, error: String(error) }))
      .finally(() => {
        this.running.delete(row.id);
        this.notify();
      });
    this.running.set(row.id, { controller, lease, progress, done });
  }

  /**
   * Rolls back and records the end of an operation. When that fails (a full disk, a busy
   * database), it is tried again at every heartbeat until it succeeds, so no operation stays
   * RUNNING while its process lives; if the process dies first, the next start recovers it.
   * With `waitForRetries: false` only the first attempt is awaited.
   */
  private async settle(operationId: string, attempt: () => Promise<void>, { waitForRetries = true } = {}): Promise<void> {
    try {
      await attempt();
      return;
    } catch (error) {
      this.deps.log.error("runner: an operation could not be closed; retrying at every heartbeat", {
        operationId,
        error: describeError(error),
      });
    }
    const retries = (async () => {
      while (!this.stopped) {
        await new Promise<void>((resolve) => this.afterNextTick.push(resolve));
        if (this.stopped) return;
        try {
          await attempt();
          this.deps.log.info("runner: operation closed after retrying", { operationId });
          return;
        } catch {
          // still failing: next heartbeat
        }
      }
    })();
    if (waitForRetries) await retries;
  }

  /** Whether the run ended because its lease is gone (then it writes nothing more: the new owner ends it). */
  private lost(error: unknown, signal: AbortSignal, row: OperationRow): boolean {
    if (!(error instanceof LeaseLostError) && signal.reason !== LEASE_LOST) return false;
    if (!signal.aborted) this.running.get(row.id)?.controller.abort(LEASE_LOST);
    this.deps.log.warn("operation taken over by another instance; this one stops without writing", { operationId: row.id, kind: row.kind, claim: row.claim });
    return true;
  }

  private outcomeOf(error: unknown, signal: AbortSignal, row: OperationRow): Outcome {
    if (signal.aborted && signal.reason === SHUTDOWN) {
      return { status: "FAILED", errorCode: "INTERRUPTED", errorMessage: "interrupted: the server shut down while it ran; rolled back" };
    }
    if (signal.aborted && signal.reason === CANCEL) {
      return { status: "CANCELLED", errorCode: "CANCELLED", errorMessage: "cancelled by request; rolled back" };
    }
    const fault = faultOf(error, `the ${row.kind.toLowerCase().replace(/_/g, " ")} operation`);
    if (fault) {
      if (fault.code === "STORAGE_FULL" || fault.code === "IO_ERROR") {
        this.deps.log.error("storage fault: an operation failed", { operationId: row.id, kind: row.kind, code: fault.code, message: fault.message });
      }
      return { status: "FAILED", errorCode: fault.code, errorMessage: fault.message };
    }
    this.deps.log.error("operation failed unexpectedly", { operationId: row.id, kind: row.kind, error: String((error as Error)?.stack ?? error) });
    return { status: "FAILED", errorCode: "INTERNAL", errorMessage: `unexpected failure (${(error as Error)?.message ?? error}); rolled back` };
  }

  private rollbackContext(row: OperationRow, lease: Lease): RollbackContext<unknown, Record<string, unknown>> {
    return { operation: row, input: JSON.parse(row.input), undo: JSON.parse(row.undo), deps: this.deps, lease };
  }


  /** Writes the terminal state, releases the server (and template), and tells subscribers: under the lease, or not at all. */
  private async finish(last: OperationSnapshot, outcome: Outcome, lease: Lease): Promise<void> {
    const { db } = this.deps;
    const succeeded = outcome.status === "SUCCEEDED";
    const pipeline = this.pipelineFor(last.kind);
    const now = this.deps.clock.now();
    const deployed = succeeded && pipeline.deploysTemplate ? { deploymentCount: { increment: 1 }, lastDeployedAt: now } : {};
    const releaseTemplate =
      pipeline.holdsTemplate && last.imageTemplateId
        ? [db.imageTemplate.updateMany({ where: { id: last.imageTemplateId, activeDeployCount: { gt: 0 } }, data: { activeDeployCount: { decrement: 1 }, ...deployed } })]
        : [];
    await lease.fenced([
      transitionOperation(db, lease.where, outcome.status, {
        finishedAt: now,
        step: last.step,
        progress: succeeded ? 1 : last.progress,
        bytesDone: BigInt(succeeded ? last.bytesTotal : last.bytesDone),
        bytesTotal: BigInt(last.bytesTotal),
        throughput: last.throughput,
        errorCode: outcome.errorCode ?? null,
        errorMessage: outcome.errorMessage ?? null,
      }),
      db.server.updateMany({ where: { activeOperationId: last.id }, data: { activeOperationId: null } }),
      ...releaseTemplate,
    ]);
    const updated = await db.operation.findUniqueOrThrow({ where: { id: last.id } });
    if (updated.startedAt && updated.finishedAt) this.deps.metrics.operationFinished(last.kind, outcome.status, (updated.finishedAt.getTime() - updated.startedAt.getTime()) / 1000);
    this.deps.log.info(`operation ${outcome.status}`, {
      operationId: last.id,
      kind: last.kind,
      accountId: updated.accountId,
      durationMs: updated.startedAt && updated.finishedAt ? updated.finishedAt.getTime() - updated.startedAt.getTime() : null,
      errorCode: outcome.errorCode ?? undefined,
    });
    this.deps.events.publishOperation(toSnapshot(updated));
  }

  private progressSink(lease: Lease) {
    return {
      publish: (snapshot: OperationSnapshot) => this.deps.events.publishOperation(snapshot),
      // Nothing once the lease is gone: the heartbeat finds that out and stops the run.
      persist: async (snapshot: OperationSnapshot) => {
        await this.deps.db.operation.updateMany({
          where: lease.where,
          data: {
            step: snapshot.step,
            progress: snapshot.progress,
            bytesDone: BigInt(snapshot.bytesDone),
            bytesTotal: BigInt(snapshot.bytesTotal),
            throughput: snapshot.throughput,
          },
        });
      },
    };
  }

  private async tick(): Promise<void> {
    const waiting = this.afterNextTick;
    this.afterNextTick = [];
    for (const resolve of waiting) resolve();
    try {
      const { db } = this.deps;
      await this.deps.hosts.beat();
      for (const run of this.running.values()) {
        if (!(await run.lease.renew())) run.controller.abort(LEASE_LOST);
      }
      if (this.running.size > 0) {
        // Cancels asked through another instance reach this one through the database.
        const flagged = await db.operation.findMany({
          where: { id: { in: [...this.running.keys()] }, cancelRequested: true },
          select: { id: true },
        });
        for (const { id } of flagged) this.running.get(id)?.controller.abort(CANCEL);
      }
      if (++this.ticks % RECOVERY_EVERY_TICKS === 0) await this.recover({ includeDanglingLocks: false });
      this.notify();
    } catch (error) {
      this.deps.log.error("runner: heartbeat failed", { error: String(error) });
    }
    for (const chore of this.housekeeping) {
      await chore.run().catch((error: unknown) => this.deps.log.error(`runner: ${chore.name} failed; tried again at the next heartbeat`, { error: String(error) }));
    }
  }

  /**
   * Rolls back RUNNING operations whose owner is gone and marks them FAILED with code
   * INTERRUPTED, and ends QUEUED ones whose server's compute host is gone with
   * HOST_UNAVAILABLE. At start it also clears server locks held by operations that ended.
   */
  async recover(options: { includeDanglingLocks: boolean }): Promise<number> {
    const { db } = this.deps;
    // Another host's machines are its own to recover: it does when it starts again.
    const orphans = await db.operation.findMany({
      where: { AND: [{ status: "RUNNING", OR: [{ ownerId: null }, { NOT: { ownerId: this.ownerId } }] }, this.deps.hosts.claimable()] },
    });
    let recovered = 0;
    for (const row of orphans) {
      if (!this.ownerIsGone(row.ownerId, row.heartbeatAt)) continue;
      // The claim is raised: the owner, if it was only paused, holds nothing when it wakes.
      const claimed = await db.operation.updateMany({
        where: { id: row.id, status: "RUNNING", ownerId: row.ownerId, claim: row.claim },
        data: { ownerId: this.ownerId, heartbeatAt: this.deps.clock.now(), claim: { increment: 1 } },
      });
      if (claimed.count !== 1) continue;
      const taken = { ...(row as OperationRow), ownerId: this.ownerId, claim: row.claim + 1 };
      const lease = this.leaseOf(taken);
      // Its old owner may only be paused, holding the chunk store's lock: the rollback's sweep must not wait for it.
      await this.deps.chunks.lock.evict(row.id);
      this.deps.log.warn("recovering an interrupted operation", { operationId: row.id, kind: row.kind, owner: row.ownerId });
      // Retried in the background when it cannot finish at once (a full disk): start-up goes on.
      await this.settle(row.id, async () => {
        const result = await this.pipelineFor(row.kind).rollback({ ...this.rollbackContext(taken, lease), reason: "interrupted" });
        await this.finish(
          toSnapshot(taken),
          result === "completed"
            ? { status: "SUCCEEDED" }
            : {
                status: "FAILED",
                errorCode: "INTERRUPTED",
                errorMessage: `interrupted: the process running it (${row.ownerId ?? "unknown"}) stopped; rolled back`,
              },
          lease,
        );
      }, { waitForRetries: false });
      recovered++;
    }
    for (const { operationId, host, lastSeenAt } of await this.deps.hosts.stranded()) {
      const row = (await db.operation.findUnique({ where: { id: operationId } })) as OperationRow | null;
      if (row?.status !== "QUEUED") continue;
      const unavailable = new HostUnavailableError(host, lastSeenAt);
      if (await this.endQueued(row, { status: "FAILED", errorCode: unavailable.code, errorMessage: unavailable.message })) {
        this.deps.log.warn("a queued operation's compute host is gone; the operation ends", { operationId, kind: row.kind, host });
        recovered++;
      }
    }
    if (options.includeDanglingLocks) await this.clearDanglingLocks();
    return recovered;
  }

  private async clearDanglingLocks(): Promise<void> {
    const { db } = this.deps;
    const locked = await db.server.findMany({
      where: { activeOperationId: { not: null } },
      select: { id: true, activeOperationId: true },
    });
    if (locked.length === 0) return;
    const live = await db.operation.findMany({
      where: { id: { in: locked.map((s) => s.activeOperationId!) }, status: { in: ["QUEUED", "RUNNING"] } },
      select: { id: true },
    });
    const liveIds = new Set(live.map((op) => op.id));
    for (const server of locked) {
      if (liveIds.has(server.activeOperationId!)) continue;
      await db.server.updateMany({
        where: { id: server.id, activeOperationId: server.activeOperationId },
        data: { activeOperationId: null },
      });
    }
  }

  private ownerIsGone(ownerId: string | null, heartbeatAt: Date | null): boolean {
    if (!ownerId) return true;
    const [host, pid] = ownerId.split("/");
    if (host === hostname() && !processIsAlive(Number(pid))) return true;
    return !heartbeatAt || this.deps.clock.millis() - heartbeatAt.getTime() > this.deps.config.staleOwnerMs;
  }
}

function reasonOf(outcome: Outcome): RollbackReason {
  if (outcome.status === "CANCELLED") return "cancelled";
  return outcome.errorCode === "INTERRUPTED" ? "interrupted" : "failed";
}

function processIsAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
