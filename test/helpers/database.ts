// Which database the suite runs on: SQLite files by default, or with TEST_DATABASE=postgresql
// a PostgreSQL database of its own for each data folder, on the server of
// scripts/postgresql-admin.ts. The database is created when a test first names the folder and
// dropped when the folder is; the suite's global teardown drops whatever a test left behind.
import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import path from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { createPostgresqlDatabase, dropPostgresqlDatabase, postgresqlAdminUrl } from "../../scripts/postgresql-admin.ts";
import type { Provider } from "../../src/db/provider.ts";

export const testProvider: Provider = process.env.TEST_DATABASE === "postgresql" ? "postgresql" : "sqlite";

/** Set by the global setup: every database of one run has this prefix. */
export const RUN_PREFIX = `imprint_test_${process.env.TEST_DATABASE_RUN ?? "solo"}_`;

const created = new Set<string>();

function databaseName(dataDir: string): string {
  return RUN_PREFIX + createHash("sha256").update(path.resolve(dataDir)).digest("hex").slice(0, 20);
}

/** A new PostgreSQL database of this run, whatever the suite runs on (dropped with the run's). */
export function newPostgresqlDatabase(label: string): string {
  return createPostgresqlDatabase(`${RUN_PREFIX}${label}_${randomBytes(4).toString("hex")}`);
}

/** The DATABASE_URL of a data folder's database: its SQLite file, or its PostgreSQL database (created if new). */
export function testDatabaseUrl(dataDir: string): string {
  if (testProvider === "sqlite") return `file:${path.join(dataDir, "imprint.db")}`;
  const name = databaseName(dataDir);
  if (created.has(name)) return postgresqlAdminUrl(name);
  created.add(name);
  return createPostgresqlDatabase(name);
}

/** Drops a data folder's PostgreSQL database, if it has one (connections to it are ended). */
export function dropTestDatabase(dataDir: string): void {
  const name = databaseName(dataDir);
  if (testProvider !== "postgresql" || !created.has(name)) return;
  dropPostgresqlDatabase(name);
  created.delete(name);
}

/** Drops every database of this run (the global teardown). */
export function dropRunDatabases(): void {
  const names = execFileSync("psql", [postgresqlAdminUrl(), "-At", "-c", `SELECT datname FROM pg_database WHERE datname LIKE '${RUN_PREFIX}%'`], { encoding: "utf8" })
    .split("\n")
    .filter(Boolean);
  for (const name of names) dropPostgresqlDatabase(name);
}

/** For the tests of one provider's own behaviour (SQLite's file, PostgreSQL's server). */
export const onSqlite = testProvider === "sqlite";
export const onPostgresql = testProvider === "postgresql";

/**
 * Another client holding the database so that writes wait for it: SQLite's whole file
 * (BEGIN EXCLUSIVE), PostgreSQL's Server table (LOCK ... ACCESS EXCLUSIVE). Resolves once
 * the lock is held; call the returned function to let go.
 */
export async function holdDatabase(dataDir: string): Promise<() => Promise<void>> {
  if (testProvider === "sqlite") {
    const other = new Database(path.join(dataDir, "imprint.db"));
    other.exec("BEGIN EXCLUSIVE");
    return async () => {
      other.exec("ROLLBACK");
      other.close();
    };
  }
  const other = new pg.Client({ connectionString: testDatabaseUrl(dataDir) });
  await other.connect();
  await other.query(`BEGIN; LOCK TABLE "Server" IN ACCESS EXCLUSIVE MODE`);
  return async () => {
    await other.query("ROLLBACK");
    await other.end();
  };
}

/** Runs one statement on a data folder's database, as another client would. */
export async function runSql(dataDir: string, statement: string): Promise<void> {
  if (testProvider === "sqlite") {
    const other = new Database(path.join(dataDir, "imprint.db"));
    try {
      other.exec(statement);
    } finally {
      other.close();
    }
    return;
  }
  const other = new pg.Client({ connectionString: testDatabaseUrl(dataDir) });
  await other.connect();
  try {
    await other.query(statement);
  } finally {
    await other.end();
  }
}
