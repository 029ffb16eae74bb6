// Makes transactions isolate on the better-sqlite3 driver adapter.
//
// The adapter runs every statement on one SQLite connection, and its transaction mutex is
// taken only by other transactions: a statement of another request that runs while an
// interactive transaction is open joins that transaction (it sees its uncommitted writes,
// and a rollback undoes its own). This wrapper puts every statement outside a transaction
// behind the same lock, so it waits for the open transaction to end.
//
// It also makes sure the lock is always released: Prisma sends COMMIT as a statement and
// calls commit() only if that statement succeeded. When COMMIT fails (SQLITE_FULL on a full
// disk), the adapter never released its mutex and every later transaction waited for ever.
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

class SerializedTransaction implements Transaction {
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
      // "no transaction is active": SQLite already rolled it back.
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

class SerializedAdapter implements SqlDriverAdapter {
  readonly provider: SqlDriverAdapter["provider"];
  readonly adapterName: string;
  private readonly lock = new Mutex();

  private readonly inner: SqlDriverAdapter;
  private readonly onStatement: (sql: string) => void;
  constructor(
    inner: SqlDriverAdapter,
    onStatement: (sql: string) => void,
  ) {
    this.inner = inner;
    this.onStatement = onStatement;
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
      return new SerializedTransaction(await this.inner.startTransaction(isolationLevel), release, this.onStatement);
    } catch (error) {
      release();
      throw error;
    }
  }

  dispose(): Promise<void> {
    return this.inner.dispose();
  }
}

export interface SerializedOptions {
  /** Told of every statement, through Prisma or not (benchmarks count them). */
  onStatement?: (sql: string) => void;
}

/** Wraps a driver adapter factory so that each connection it makes is serialized. */
export function serialized(factory: SqlDriverAdapterFactory, { onStatement = () => undefined }: SerializedOptions = {}): SqlDriverAdapterFactory {
  return {
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: async () => new SerializedAdapter(await factory.connect(), onStatement),
  };
}
