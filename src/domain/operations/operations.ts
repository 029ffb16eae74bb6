// Operations as the API sees them: queueing every kind (the one way, with its quotas, and
// once per idempotency key; on a server with the server's lock taken atomically), reading,
// following and cancelling.
import { Prisma } from "../../db/prisma.ts";
import type { DomainDeps, Viewer } from "../deps.ts";
import { allOf, columnsSql, joinSql, selectPage, selectRows, sql } from "../../db/raw-sql.ts";
import {
  ConflictError,
  DomainError,
  INITIAL,
  NotFoundError,
  UnavailableError,
  transitionServer,
  inIdOrder,
  keyset,
  toPage,
  type Page,
  type PageArgs,
  isTerminal,
  type OperationKind,
  type OperationStatus,
  type ServerStatus,
  type PowerState,
  transaction,
  ALL_COLUMNS,
  type Columns,
} from "../kernel/index.ts";
import { SNAPSHOT_COLUMNS, toSnapshot, type OperationSnapshot, type SnapshotRow } from "./operation-snapshot.ts";
import { EVENTS_LOST } from "./events.ts";
import type { OperationRunner } from "./runner.ts";
import { quotaRefusal, type QuotaName } from "../accounts/index.ts";
import { idempotencyMismatch, sameRequest, type IdempotencyRequest } from "./idempotency.ts";

/** The snapshot's columns of "Operation", quoted for raw SQL. */
const snapshotColumns = columnsSql(SNAPSHOT_COLUMNS);
/** What a snapshot is made with whatever else is read: its keys, its state and its times (`freshest`, `toSnapshot`). */
const SNAPSHOT_KEY_COLUMNS = ["id", "serverId", "status", "createdAt", "updatedAt"] as const satisfies ReadonlyArray<keyof SnapshotRow>;

/** The select list of snapshots that hold `columns` and what every snapshot is made with. */
function snapshotSelect(columns: Columns<SnapshotRow>) {
  return columns === ALL_COLUMNS ? snapshotColumns : columnsSql([...new Set([...SNAPSHOT_KEY_COLUMNS, ...columns])], Prisma.OperationScalarFieldEnum);
}

export interface OperationFilter {
  status?: OperationStatus[] | null;
  kind?: OperationKind[] | null;
  serverId?: string | null;
  imageTemplateId?: string | null;
}

export interface ServerLockRequest {
  serverId: string;
  kind: OperationKind;
  /** The server must be in one of these states, with no operation in flight. */
  allowedStatuses: ServerStatus[];
  requiredPowerState?: PowerState;
  /** Status the server takes while the operation is queued and running. */
  statusWhileRunning?: ServerStatus;
  input?: unknown;
  imageTemplateId?: string;
  /** Input field that named the server, for NotFoundError. */
  field: string;
  /** Quotas the operation counts against; default: operations in flight. */
  quotas?: QuotaName[];
  /** The key the request came with (see queueOnce). */
  idempotency?: IdempotencyRequest | null;
}

export interface QueueHooks {
  check?: (tx: Prisma.TransactionClient) => Promise<DomainError | null>;
  /** Adds rows once the lock is taken; a refusal rolls everything back. */
  create?: (tx: Prisma.TransactionClient, operationId: string) => Promise<DomainError | null | void>;
}

/** What an operation counts against and what may refuse it before its rows are made. */
export interface QueuePlan {
  kind: OperationKind;
  /** Checked in the operation's transaction. Deletes name none: they are how an account gets back under its quotas. */
  quotas: QuotaName[];
  /** Refuses before the quotas are counted (a name or an fqdn taken). */
  check?: (tx: Prisma.TransactionClient) => Promise<DomainError | null>;
  /** The key the request came with, kept on the operation (see queueOnce). */
  idempotency?: IdempotencyRequest | null;
}

/** What `prepare` made in the operation's transaction: the rows the operation concerns, its input, and anything the caller wants back. */
export interface Prepared<T> {
  serverId?: string | null;
  imageTemplateId?: string | null;
  input?: unknown;
  made: T;
}

/** A queued operation, and what its transaction made beside it. */
export interface Queued<T> {
  operation: OperationSnapshot;
  made: T;
}

export class Operations {
  private readonly deps: DomainDeps;
  private readonly runner: OperationRunner;
  constructor(
    deps: DomainDeps,
    runner: OperationRunner,
  ) {
    this.deps = deps;
    this.runner = runner;
  }

  /**
   * The one way to queue an operation. In one transaction: `plan.check`, the quotas,
   * then `prepare` takes the locks and makes the rows the operation needs, then the QUEUED
   * row is inserted. After the commit, subscribers are told and the runner woken. A step
   * refuses by returning a DomainError, which is thrown after the rollback.
   */
  async queue<T>(
    viewer: Viewer,
    plan: QueuePlan,
    prepare: (tx: Prisma.TransactionClient, operationId: string) => Promise<Prepared<T> | DomainError>,
  ): Promise<Queued<T>> {
    const id = this.deps.ids.next("op");
    // Taken with the ID, not by the database: a transaction that runs again after a
    // serialization failure would otherwise stamp a later time on an earlier ID, and lists
    // ordered by ID would not read newest first by time.
    const createdAt = this.deps.clock.now();
    const outcome = await transaction(this.deps.db, async (tx) => {
      const refusal = (await plan.check?.(tx)) ?? (await quotaRefusal(tx, viewer.accountId, this.deps.config.quotas, plan.quotas));
      if (refusal) return refusal;
      const prepared = await prepare(tx, id);
      // No throw inside the transaction: the SQLite adapter shares its connection, and a
      // rollback would also undo statements other requests ran meanwhile.
      if (prepared instanceof DomainError) return prepared;
      const row = await tx.operation.create({
        data: {
          id,
          accountId: viewer.accountId,
          kind: plan.kind,
          status: INITIAL.operation,
          step: "queued",
          serverId: prepared.serverId ?? null,
          imageTemplateId: prepared.imageTemplateId ?? null,
          input: JSON.stringify(prepared.input ?? {}),
          idempotencyKey: plan.idempotency?.key ?? null,
          idempotencyFingerprint: plan.idempotency?.fingerprint ?? null,
          createdAt,
        },
      });
      return { row, made: prepared.made };
    });
    const operation = toSnapshot(outcome.row);
    this.deps.events.publishOperation(operation);
    this.runner.notify();
    return { operation, made: outcome.made };
  }

  /**
   * Queues once per idempotency key: `queueIt` (which passes `request` in its plan) the first
   * time, `earlier` with the operation that request queued every time after, also for a
   * request that arrives at the same moment (it fails against what the winner wrote, and
   * answers the winner's result). The same key with other input is a ConflictError. Without a
   * key, `queueIt`.
   */
  async queueOnce<R>(
    viewer: Viewer,
    kind: OperationKind,
    request: IdempotencyRequest | null,
    queueIt: () => Promise<R>,
    earlier: (operationId: string) => Promise<R>,
  ): Promise<R> {
    if (!request) return queueIt();
    const seen = await this.operationOfKey(viewer, kind, request);
    if (seen) return earlier(seen);
    try {
      return await queueIt();
    } catch (error) {
      // A twin with the same key that committed first makes this one fail: on the key's
      // unique index, or on what the twin made (its name, its fqdn). Its result is the answer.
      const twin = await this.operationOfKey(viewer, kind, request);
      if (!twin) throw error;
      return earlier(twin);
    }
  }

  /** The operation an earlier request with the key queued, or null; a ConflictError when its input differed. */
  private async operationOfKey(viewer: Viewer, kind: OperationKind, request: IdempotencyRequest): Promise<string | null> {
    const row = await this.deps.db.operation.findUnique({
      where: { accountId_kind_idempotencyKey: { accountId: viewer.accountId, kind, idempotencyKey: request.key } },
      select: { id: true, idempotencyFingerprint: true },
    });
    if (!row) return null;
    if (!sameRequest(request, row.idempotencyFingerprint)) throw idempotencyMismatch(kind, request.key);
    return row.id;
  }

  /**
   * Queues an operation on an existing server with the server's lock taken in its
   * transaction: of two requests fired at once, exactly one wins; the other gets a
   * ConflictError naming the state; a server whose compute host is gone is a
   * HostUnavailableError. `hooks.check` may refuse before the lock is taken;
   * `hooks.create` adds rows (e.g. the template a capture makes) after it is taken.
   */
  async queueOnServer(viewer: Viewer, request: ServerLockRequest, hooks: QueueHooks = {}): Promise<OperationSnapshot> {
    const plan = { kind: request.kind, quotas: request.quotas ?? ["concurrentOperations" as const], check: hooks.check, idempotency: request.idempotency };
    const queued = await this.queue(viewer, plan, async (tx, id) => {
      const free = {
        id: request.serverId,
        accountId: viewer.accountId,
        activeOperationId: null,
        ...(request.requiredPowerState ? { powerState: request.requiredPowerState } : {}),
      };
      const locked = request.statusWhileRunning
        ? await transitionServer(tx, free, request.statusWhileRunning, { activeOperationId: id }, request.allowedStatuses)
        : await tx.server.updateMany({ where: { ...free, status: { in: request.allowedStatuses } }, data: { activeOperationId: id } });
      if (locked.count !== 1) return whyServerIsUnavailable(tx, viewer, request);
      const unreachable = await this.deps.hosts.refusal(tx, request.serverId);
      if (unreachable) return unreachable;
      const refused = await hooks.create?.(tx, id);
      if (refused) return refused;
      return { serverId: request.serverId, imageTemplateId: request.imageTemplateId, input: request.input, made: undefined };
    });
    return queued.operation;
  }

  async get(viewer: Viewer, id: string): Promise<OperationSnapshot | null> {
    const [snapshot] = await this.loadMany(viewer, [id]);
    return snapshot;
  }

  async loadMany(viewer: Viewer, ids: readonly string[]): Promise<(OperationSnapshot | null)[]> {
    if (ids.length === 0) return [];
    const rows = await selectRows<SnapshotRow>(
      this.deps.db,
      sql`SELECT ${snapshotColumns} FROM "Operation" WHERE "accountId" = ${viewer.accountId} AND "id" IN (${joinSql(ids)})`,
    );
    return inIdOrder(ids, rows).map((row) => (row ? this.freshest(row) : null));
  }

  /** The database state, or the runner's newer in-memory progress for an operation it runs. */
  private freshest(row: SnapshotRow): OperationSnapshot {
    const stored = toSnapshot(row);
    const live = this.runner.live(row.id);
    return live && row.status === "RUNNING" && live.changedAt >= stored.changedAt ? live : stored;
  }

  /**
   * A page of the viewer's operations, newest first. With `columns`, the snapshots hold those
   * (and their keys, state and times) only, as `latestForServers`.
   */
  async list(viewer: Viewer, args: PageArgs, filter: OperationFilter = {}, columns: Columns<SnapshotRow> = ALL_COLUMNS): Promise<Page<OperationSnapshot>> {
    const page = keyset(args, this.deps.config.maxPageSize, "desc");
    const where = allOf([
      sql`"accountId" = ${viewer.accountId}`,
      ...(filter.status?.length ? [sql`"status" IN (${joinSql(filter.status)})`] : []),
      ...(filter.kind?.length ? [sql`"kind" IN (${joinSql(filter.kind)})`] : []),
      ...(filter.serverId ? [sql`"serverId" = ${filter.serverId}`] : []),
      ...(filter.imageTemplateId ? [sql`"imageTemplateId" = ${filter.imageTemplateId}`] : []),
    ]);
    const { rows, count } = await selectPage<SnapshotRow>(this.deps.db, "Operation", snapshotSelect(columns), where, page);
    return toPage(rows.map((row) => this.freshest(row)), page.size, count);
  }

  /**
   * The newest operation of each server, in one statement whatever the number of servers.
   * With `columns`, the snapshots hold those (and their keys, state and times) only: for the
   * API, which reads no others.
   */
  async latestForServers(serverIds: readonly string[], columns: Columns<SnapshotRow> = ALL_COLUMNS): Promise<(OperationSnapshot | null)[]> {
    if (serverIds.length === 0) return [];
    const rows = await selectRows<SnapshotRow>(this.deps.db, sql`SELECT ${snapshotSelect(columns)} FROM "Operation" WHERE "id" IN
      (SELECT MAX("id") FROM "Operation" WHERE "serverId" IN (${joinSql(serverIds)}) GROUP BY "serverId")`);
    const byServer = new Map(rows.map((row) => [row.serverId, this.freshest(row)]));
    return serverIds.map((id) => byServer.get(id) ?? null);
  }

  async cancel(viewer: Viewer, id: string): Promise<OperationSnapshot> {
    const row = await this.deps.db.operation.findFirst({ where: { id, accountId: viewer.accountId } });
    if (!row) throw new NotFoundError("Operation", id, "id");
    if (isTerminal(row.status)) throw new ConflictError(`operation ${id} is already ${row.status}`, row.status);
    await this.runner.cancel(row);
    return (await this.get(viewer, id))!;
  }

  /**
   * The operation's current state first, then every change, ending after the terminal
   * state. Subscribes, and waits until the subscription hears, before reading, so no change
   * between the read and the first event is lost; events older than what was already sent
   * are skipped. Where the bus says events may have been lost (Redis reconnected), the state
   * is read again, so a follower ends with the operation even if its terminal event was lost.
   */
  async *follow(viewer: Viewer, id: string): AsyncGenerator<OperationSnapshot> {
    this.refuseWithoutEvents();
    const changes = this.deps.events.operationChanges(id);
    try {
      await this.deps.events.settled();
      const current = await this.get(viewer, id);
      if (!current) throw new NotFoundError("Operation", id, "id");
      yield current;
      if (isTerminal(current.status)) return;
      let last = current;
      for await (const change of changes) {
        const reread = change === EVENTS_LOST;
        const next = reread ? await this.get(viewer, id) : change;
        if (!next) return;
        // A state read again that has not moved is not news; an event of the same moment may
        // be, unless it is the state already sent (heard before the first read, which saw it).
        const stale = reread || sameState(next, last) ? next.changedAt <= last.changedAt : next.changedAt < last.changedAt;
        if (stale && !isTerminal(next.status)) continue;
        last = next;
        yield next;
        if (isTerminal(next.status)) return;
      }
    } finally {
      await changes.return?.();
    }
  }

  /** Every change of every operation of the viewer's account, as it happens (a live stream: nothing is replayed after a loss). */
  async *feed(viewer: Viewer): AsyncGenerator<OperationSnapshot> {
    this.refuseWithoutEvents();
    const changes = this.deps.events.accountOperationChanges(viewer.accountId);
    try {
      for await (const change of changes) if (change !== EVENTS_LOST) yield change;
    } finally {
      await changes.return?.();
    }
  }

  /** A subscription cannot be followed while the bus cannot carry its events. */
  private refuseWithoutEvents(): void {
    const problem = this.deps.events.problem();
    if (problem) throw new UnavailableError(`operation events cannot be followed now: ${problem}`);
  }
}

/** Whether two snapshots of one operation say the same (what a follower was sent already). */
function sameState(a: OperationSnapshot, b: OperationSnapshot): boolean {
  return a.changedAt === b.changedAt && a.status === b.status && a.step === b.step && a.progress === b.progress && a.bytesDone === b.bytesDone && a.cancelRequested === b.cancelRequested;
}

/** Why the server's lock could not be taken: read in the transaction that tried. */
async function whyServerIsUnavailable(tx: Prisma.TransactionClient, viewer: Viewer, request: ServerLockRequest): Promise<DomainError> {
  const server = await tx.server.findFirst({
    where: { id: request.serverId, accountId: viewer.accountId },
    include: { operations: { where: { status: { in: ["QUEUED", "RUNNING"] } }, take: 1 } },
  });
  if (!server) return new NotFoundError("Server", request.serverId, request.field);
  const inFlight = server.operations[0];
  if (server.activeOperationId || inFlight) {
    const what = inFlight ? `${inFlight.kind} operation ${inFlight.id} (${inFlight.status})` : `operation ${server.activeOperationId}`;
    return new ConflictError(`server ${server.fqdn} has ${what} in flight`, "OPERATION_IN_FLIGHT");
  }
  if (!request.allowedStatuses.includes(server.status)) {
    return new ConflictError(
      `server ${server.fqdn} is ${server.status}; ${request.kind} needs ${request.allowedStatuses.join(" or ")}`,
      server.status,
    );
  }
  if (request.requiredPowerState && server.powerState !== request.requiredPowerState) {
    return new ConflictError(`server ${server.fqdn} is already ${server.powerState}`, server.powerState);
  }
  return new ConflictError(`server ${server.fqdn} changed while the request ran; try again`, server.status);
}
