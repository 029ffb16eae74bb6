// Creates the Prisma client on the better-sqlite3 driver adapter and sets the
// connection pragmas imprint relies on.
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaClient } from "./generated/client.js";
import type { SqlDriverAdapter } from "@prisma/driver-adapter-utils";
import { serialized } from "./serialized-adapter.js";

export type Db = PrismaClient;

export const BUSY_TIMEOUT_MS = 5000;

export interface DbOptions {
  /** Called for every SQL statement, through Prisma or not (benchmarks count statements per request). */
  onStatement?: (sql: string) => void;
  /** How long a statement waits for another process's lock before failing (SQLITE_BUSY). */
  busyTimeoutMs?: number;
}

/** The driver adapter each client runs its statements on (raw-sql.ts reads through it). */
const connections = new WeakMap<Db, SqlDriverAdapter>();

export function connectionOf(db: Db): SqlDriverAdapter {
  const adapter = connections.get(db);
  if (!adapter) throw new Error("not a client made by createDb, or not connected yet");
  return adapter;
}

export async function createDb(databaseUrl: string, options: DbOptions = {}): Promise<Db> {
  // Serialized: a statement outside a transaction waits for the open one (see serialized-adapter.ts).
  const busyTimeoutMs = options.busyTimeoutMs ?? BUSY_TIMEOUT_MS;
  // Prisma connects on the first statement below, once `db` exists.
  let db: Db;
  const adapter = serialized(new PrismaBetterSQLite3({ url: databaseUrl, timeout: busyTimeoutMs }), {
    onStatement: options.onStatement,
    connected: (connection) => connections.set(db, connection),
  });
  db = new PrismaClient({ adapter });
  // WAL lets readers go on while the runner writes; foreign keys are off by default in SQLite.
  await db.$queryRawUnsafe("PRAGMA journal_mode = WAL");
  await db.$queryRawUnsafe("PRAGMA synchronous = NORMAL");
  await db.$queryRawUnsafe("PRAGMA foreign_keys = ON");
  await db.$queryRawUnsafe(`PRAGMA busy_timeout = ${busyTimeoutMs}`);
  return db;
}

/** Prisma's error code for a unique-constraint violation. */
export function isUniqueViolation(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === "P2002";
}
