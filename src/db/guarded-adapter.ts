// Wraps a driver adapter so that every transaction ends, and, on SQLite, isolates.
//
// Ends: Prisma sends COMMIT as a statement and calls the adapter's commit() only if that
// statement succeeded. When COMMIT fails (SQLITE_FULL on a full disk, PostgreSQL's
// serialization failure under SERIALIZABLE), neither commit() nor rollback() is called: the
// SQLite adapter never released its mutex, and the pg adapter never gave its connection back
// to the pool, so every later transaction waited for ever. Here a failed COMMIT or ROLLBACK
// still rolls back and releases.
//
// Isolates (`serialize`, for better-sqlite3): that adapter runs every statement on one SQLite
// connection, and its transaction mutex is taken only by other transactions: a statement of
// another request that runs while an interactive transaction is open joins that transaction
// (it sees its uncommitted writes, and a rollback undoes its own). With `serialize` every
// statement outside a transaction waits behind the same lock for the open transaction to end.
// PostgreSQL's connections isolate by themselves.
import { Mutex } from "async-mutex";
import type {
  IsolationLevel,
  SqlDriverAdapter,
  SqlDriverAdapterFactory,
  SqlQuery,
  SqlResultSet,
  Transaction,
} from "@prisma/driver-adapter-utils";

const ENDS_TRANSACTION = /^\s*(COMMIT|ROLLBACK|END)\b/i;

type Lock = Pick<Mutex, "acquire" | "runExclusive">;

/** What an adapter that needs no serializing "locks" with. */
const NO_LOCK: Lock = {
  acquire: async () => () => undefined,
  runExclusive: (work) => Promise.resolve(work()),
};

class GuardedTransaction implements Transaction {
  readonly provider: Transaction["provider"];
  readonly adapterName: string;
  readonly options: Transaction["options"];
  private ended = false;

  private readonly inner: Transaction;
  private readonly releaseLock: () => void;
  private readonly onStatement: (sql: string) => void;
  constructor(
    inner: Transaction,
    releaseLock: () => void,
    onStatement: (sql: string) => void,
  ) {
    this.inner = inner;
    this.releaseLock = releaseLock;
    this.onStatement = onStatement;
    this.provider = inner.provider;
    this.adapterName = inner.adapterName;
    this.options = inner.options;
  }

  queryRaw(query: SqlQuery): Promise<SqlResultSet> {
    this.onStatement(query.sql);
    return this.guard(query, () => this.inner.queryRaw(query));
  }

  executeRaw(query: SqlQuery): Promise<number> {
    this.onStatement(query.sql);
    return this.guard(query, () => this.inner.executeRaw(query));
  }

  async commit(): Promise<void> {
    await this.end(() => this.inner.commit());
  }

  async rollback(): Promise<void> {
    await this.end(() => this.inner.rollback());
  }

  /** A failed COMMIT or ROLLBACK still ends the transaction: rolled back, lock released. */
  private async guard<T>(query: SqlQuery, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (ENDS_TRANSACTION.test(query.sql)) await this.abandon();
      throw error;
    }
  }

  private async abandon(): Promise<void> {
    try {
      await this.inner.executeRaw({ sql: "ROLLBACK", args: [], argTypes: [] });
    } catch {
      // "no transaction is active": the database already rolled it back.
    }
    await this.end(() => this.inner.rollback());
  }

  private async end(finish: () => Promise<void>): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    try {
      await finish();
    } finally {
      this.releaseLock();
    }
  }
}

class GuardedAdapter implements SqlDriverAdapter {
  readonly provider: SqlDriverAdapter["provider"];
  readonly adapterName: string;
  private readonly lock: Lock;

  private readonly inner: SqlDriverAdapter;
  private readonly onStatement: (sql: string) => void;
  constructor(
    inner: SqlDriverAdapter,
    onStatement: (sql: string) => void,
    serialize: boolean,
  ) {
    this.inner = inner;
    this.onStatement = onStatement;
    this.lock = serialize ? new Mutex() : NO_LOCK;
    this.provider = inner.provider;
    this.adapterName = inner.adapterName;
    if (inner.getConnectionInfo) this.getConnectionInfo = () => inner.getConnectionInfo!();
  }

  getConnectionInfo?: SqlDriverAdapter["getConnectionInfo"];

  queryRaw(query: SqlQuery): Promise<SqlResultSet> {
    this.onStatement(query.sql);
    return this.lock.runExclusive(() => this.inner.queryRaw(query));
  }

  executeRaw(query: SqlQuery): Promise<number> {
    this.onStatement(query.sql);
    return this.lock.runExclusive(() => this.inner.executeRaw(query));
  }

  executeScript(script: string): Promise<void> {
    return this.lock.runExclusive(() => this.inner.executeScript(script));
  }

  async startTransaction(isolationLevel?: IsolationLevel): Promise<Transaction> {
    const release = await this.lock.acquire();
    try {
      return new GuardedTransaction(await this.inner.startTransaction(isolationLevel), release, this.onStatement);
    } catch (error) {
      release();
      throw error;
    }
  }

  dispose(): Promise<void> {
    return this.inner.dispose();
  }
}

export interface GuardOptions {
  /** One statement or transaction at a time (better-sqlite3's one connection). */
  serialize: boolean;
  /** Told of every statement, through Prisma or not (benchmarks count them). */
  onStatement?: (sql: string) => void;
}

/** Wraps a driver adapter factory so that each connection it makes ends its transactions, and is serialized if asked. */
export function guarded(factory: SqlDriverAdapterFactory, { serialize, onStatement = () => undefined }: GuardOptions): SqlDriverAdapterFactory {
  return {
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: async () => new GuardedAdapter(await factory.connect(), onStatement, serialize),
  };
}
