// Creates the Prisma client for the database a URL names (db/provider.ts): SQLite through the
// better-sqlite3 driver adapter with the pragmas imprint relies on, or PostgreSQL through
// @prisma/adapter-pg on a pg pool. Each client comes with its reader for the hot reads of
// raw-sql.ts, which bypass Prisma (sqlite-reader.ts, postgresql-reader.ts).
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaClient as PostgresqlClient } from "./generated/postgresql/client.ts";
import { PrismaClient } from "./prisma.ts";
import { PostgresqlReader } from "./postgresql-reader.ts";
import { providerOf, type Provider } from "./provider.ts";
import { guarded } from "./guarded-adapter.ts";
import { SqliteReader } from "./sqlite-reader.ts";

export type Db = PrismaClient;

export const BUSY_TIMEOUT_MS = 5000;

/** The file of a `file:` database URL. */
export function sqliteFilePath(databaseUrl: string): string {
  return databaseUrl.replace(/^file:/, "");
}

/** The provider of a URL imprint can use; throws for any other. */
export function databaseProvider(databaseUrl: string): Provider {
  const provider = providerOf(databaseUrl);
  if (!provider) throw new Error(`not a SQLite "file:" or "postgresql://" URL: ${databaseUrl}`);
  return provider;
}

export interface DbOptions {
  /** Called for every SQL statement, through Prisma or not (benchmarks count statements per request). */
  onStatement?: (sql: string) => void;
  /** How long a statement waits for another connection's lock before failing (a `busy` fault). */
  busyTimeoutMs?: number;
  /** PostgreSQL: the most connections the instance opens (pg's pool). */
  poolSize?: number;
}

/** A statement as Prisma.sql makes it: `sql` with `?` placeholders (SQLite), `text` with `$1` (PostgreSQL). */
export interface Statement {
  sql: string;
  text: string;
  values: readonly unknown[];
}

/** What raw-sql.ts reads with: the rows of a SELECT, decoded as Prisma's models type them. */
export interface HotReader {
  all(statement: Statement): Promise<Array<Record<string, unknown>>> | Array<Record<string, unknown>>;
  close(): Promise<void> | void;
}

interface Connection {
  provider: Provider;
  reader: HotReader;
  onStatement?: (sql: string) => void;
  close: () => Promise<void>;
}

const connections = new WeakMap<Db, Connection>();

function connectionOf(db: Db): Connection {
  const connection = connections.get(db);
  if (!connection) throw new Error("not a client made by createDb, or already closed");
  return connection;
}

export function hotReadsOf(db: Db): Pick<Connection, "reader" | "onStatement"> {
  return connectionOf(db);
}

/** Which database a client of createDb runs on. */
export function providerOfDb(db: Db): Provider {
  return connectionOf(db).provider;
}

export async function createDb(databaseUrl: string, options: DbOptions = {}): Promise<Db> {
  return databaseProvider(databaseUrl) === "postgresql" ? createPostgresqlDb(databaseUrl, options) : createSqliteDb(databaseUrl, options);
}

async function createSqliteDb(databaseUrl: string, options: DbOptions): Promise<Db> {
  // Serialized: a statement outside a transaction waits for the open one (see guarded-adapter.ts).
  const busyTimeoutMs = options.busyTimeoutMs ?? BUSY_TIMEOUT_MS;
  // Prisma connects on the first statement below, once `db` exists.
  const adapter = guarded(new PrismaBetterSQLite3({ url: databaseUrl, timeout: busyTimeoutMs }), { serialize: true, onStatement: options.onStatement });
  const db = new PrismaClient({ adapter });
  // WAL lets readers go on while the runner writes; foreign keys are off by default in SQLite.
  await db.$queryRawUnsafe("PRAGMA journal_mode = WAL");
  await db.$queryRawUnsafe("PRAGMA synchronous = NORMAL");
  await db.$queryRawUnsafe("PRAGMA foreign_keys = ON");
  await db.$queryRawUnsafe(`PRAGMA busy_timeout = ${busyTimeoutMs}`);
  // Opened once the file is in WAL mode: a read-only connection cannot switch it.
  const reader = new SqliteReader(sqliteFilePath(databaseUrl), busyTimeoutMs);
  connections.set(db, { provider: "sqlite", reader, onStatement: options.onStatement, close: async () => undefined });
  return db;
}

async function createPostgresqlDb(databaseUrl: string, options: DbOptions): Promise<Db> {
  const busyTimeoutMs = options.busyTimeoutMs ?? BUSY_TIMEOUT_MS;
  // lock_timeout is SQLite's busy timeout: a statement waiting for a row another
  // transaction holds fails after it instead of waiting for ever.
  const pool = new pg.Pool({ connectionString: databaseUrl, max: options.poolSize ?? 10, options: `-c lock_timeout=${busyTimeoutMs}` });
  // An idle connection that the server closes (a restart) is an event of the pool, not a crash.
  pool.on("error", () => undefined);
  const adapter = guarded(new PrismaPg(pool, { disposeExternalPool: false }), { serialize: false, onStatement: options.onStatement });
  // The two generated clients have the same models (prisma/models.prisma); only their provider differs.
  const db = new PostgresqlClient({ adapter }) as unknown as Db;
  await db.$queryRawUnsafe("SELECT 1");
  const reader = new PostgresqlReader(pool);
  connections.set(db, { provider: "postgresql", reader, onStatement: options.onStatement, close: () => pool.end() });
  return db;
}

/** How long closing waits for the pool's connections to come back before it leaves them. */
const CLOSE_WAIT_MS = 5000;

/**
 * Disconnects the client and closes its reader. A PostgreSQL pool ends once every connection
 * is back; one that never comes back (a statement the server still runs) must not keep the
 * stop waiting for ever: after CLOSE_WAIT_MS the pool is left to the process's exit, and the
 * answer says so ("left busy").
 */
export async function closeDb(db: Db): Promise<"closed" | "left busy"> {
  const connection = connections.get(db);
  connections.delete(db);
  await db.$disconnect();
  await connection?.reader.close();
  if (!connection) return "closed";
  let timer: NodeJS.Timeout | undefined;
  const left = new Promise<"left busy">((resolve) => (timer = setTimeout(() => resolve("left busy"), CLOSE_WAIT_MS)));
  const outcome = await Promise.race([connection.close().then(() => "closed" as const), left]);
  clearTimeout(timer);
  return outcome;
}
