// Creates the Prisma client on the better-sqlite3 driver adapter and sets the
// connection pragmas imprint relies on.
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaClient } from "./generated/client.ts";
import { serialized } from "./serialized-adapter.ts";
import { SqliteReader } from "./sqlite-reader.ts";

export type Db = PrismaClient;

export const BUSY_TIMEOUT_MS = 5000;

/** The file of a `file:` database URL. */
export function sqliteFilePath(databaseUrl: string): string {
  return databaseUrl.replace(/^file:/, "");
}

export interface DbOptions {
  /** Called for every SQL statement, through Prisma or not (benchmarks count statements per request). */
  onStatement?: (sql: string) => void;
  /** How long a statement waits for another process's lock before failing (SQLITE_BUSY). */
  busyTimeoutMs?: number;
}

interface HotReads {
  reader: SqliteReader;
  onStatement?: (sql: string) => void;
}

/** Each client's read-only connection for raw-sql.ts (sqlite-reader.ts says why it is its own). */
const hotReads = new WeakMap<Db, HotReads>();

export function hotReadsOf(db: Db): HotReads {
  const reads = hotReads.get(db);
  if (!reads) throw new Error("not a client made by createDb, or already closed");
  return reads;
}

export async function createDb(databaseUrl: string, options: DbOptions = {}): Promise<Db> {
  // Serialized: a statement outside a transaction waits for the open one (see serialized-adapter.ts).
  const busyTimeoutMs = options.busyTimeoutMs ?? BUSY_TIMEOUT_MS;
  // Prisma connects on the first statement below, once `db` exists.
  const adapter = serialized(new PrismaBetterSQLite3({ url: databaseUrl, timeout: busyTimeoutMs }), { onStatement: options.onStatement });
  const db = new PrismaClient({ adapter });
  // WAL lets readers go on while the runner writes; foreign keys are off by default in SQLite.
  await db.$queryRawUnsafe("PRAGMA journal_mode = WAL");
  await db.$queryRawUnsafe("PRAGMA synchronous = NORMAL");
  await db.$queryRawUnsafe("PRAGMA foreign_keys = ON");
  await db.$queryRawUnsafe(`PRAGMA busy_timeout = ${busyTimeoutMs}`);
  // Opened once the file is in WAL mode: a read-only connection cannot switch it.
  hotReads.set(db, { reader: new SqliteReader(sqliteFilePath(databaseUrl), busyTimeoutMs), onStatement: options.onStatement });
  return db;
}

/** Disconnects the client and closes its read-only connection. */
export async function closeDb(db: Db): Promise<void> {
  hotReads.get(db)?.reader.close();
  hotReads.delete(db);
  await db.$disconnect();
}
