// Applies the committed SQL migrations of the database's provider (prisma/<provider>/migrations)
// on start, recording them in Prisma's own _prisma_migrations table so `prisma migrate status`
// agrees with the app. (The Prisma CLI works here too, but starting it costs seconds on every
// start, and its lock on PostgreSQL gives up after 10 s: STACK-NOTES.)
import { createHash, randomUUID } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import pg from "pg";
import { BUSY_TIMEOUT_MS, databaseProvider, sqliteFilePath } from "./client.ts";
import type { Provider } from "./provider.ts";
import { volumeDigest } from "../storage/volume-digest.ts";

/** The committed migrations of a provider. */
export function migrationsDir(provider: Provider): string {
  return fileURLToPath(new URL(`../../prisma/${provider}/migrations`, import.meta.url));
}

/** The committed migrations, in the order they apply. */
export function migrationNames(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => existsSync(path.join(dir, name, "migration.sql")))
    .sort();
}

interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

function readMigration(dir: string, name: string): Migration {
  const sql = readFileSync(path.join(dir, name, "migration.sql"), "utf8");
  return { name, sql, checksum: createHash("sha256").update(sql).digest("hex") };
}

function refuseUnknown(done: Iterable<string>, names: string[], where: string): void {
  const unknown = [...done].filter((name) => !names.includes(name));
  if (unknown.length > 0) throw new Error(`${where} was migrated by a newer imprint (unknown migrations: ${unknown.join(", ")}); use that version or a backup`);
}

/** Returns the names of the migrations it applied. */
export async function applyMigrations(databaseUrl: string, dir = migrationsDir(databaseProvider(databaseUrl))): Promise<string[]> {
  return databaseProvider(databaseUrl) === "postgresql" ? applyPostgresqlMigrations(databaseUrl, dir) : applySqliteMigrations(databaseUrl, dir);
}

const SQLITE_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  "id" TEXT PRIMARY KEY NOT NULL,
  "checksum" TEXT NOT NULL,
  "finished_at" DATETIME,
  "migration_name" TEXT NOT NULL,
  "logs" TEXT,
  "rolled_back_at" DATETIME,
  "started_at" DATETIME NOT NULL DEFAULT current_timestamp,
  "applied_steps_count" INTEGER UNSIGNED NOT NULL DEFAULT 0
)`;

const DONE = `SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`;

function applySqliteMigrations(databaseUrl: string, dir: string): string[] {
  const file = sqliteFilePath(databaseUrl);
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const sqlite = new Database(file, { timeout: BUSY_TIMEOUT_MS });
  try {
    sqlite.pragma("journal_mode = WAL");
    // A migration that rebuilds a table (Prisma's RedefineTables) drops the old one, and with
    // foreign keys on, DROP TABLE first deletes its rows, cascading to the rows that refer to
    // them. SQLite ignores PRAGMA foreign_keys inside a transaction (so the migration's own
    // lines do nothing here): they are off for this connection, and checked before each commit.
    sqlite.pragma("foreign_keys = OFF");
    registerMigrationFunctions(sqlite);
    sqlite.exec(SQLITE_MIGRATIONS_TABLE);
    const done = new Set(sqlite.prepare(DONE).all().map((row) => (row as { migration_name: string }).migration_name));
    const names = migrationNames(dir);
    refuseUnknown(done, names, `the database file ${file}`);
    const applied: string[] = [];
    for (const name of names) {
      if (done.has(name)) continue;
      const migration = readMigration(dir, name);
      // BEGIN IMMEDIATE: two processes starting on one new database apply each migration once.
      sqlite.exec("BEGIN IMMEDIATE");
      try {
        const already = sqlite
          .prepare(`SELECT 1 FROM _prisma_migrations WHERE migration_name = ? AND finished_at IS NOT NULL`)
          .get(name);
        if (!already) {
          sqlite.exec(migration.sql);
          const broken = sqlite.pragma("foreign_key_check") as Array<{ table: string; parent: string }>;
          if (broken.length > 0) throw new Error(`it leaves ${broken.length} row(s) of ${broken[0].table} referring to missing ${broken[0].parent} rows`);
          sqlite
            .prepare(
              `INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, started_at, applied_steps_count)
               VALUES (?, ?, current_timestamp, ?, current_timestamp, 1)`,
            )
            .run(randomUUID(), migration.checksum, name);
          applied.push(name);
        }
        sqlite.exec("COMMIT");
      } catch (error) {
        sqlite.exec("ROLLBACK");
        throw new Error(`migration ${name} of ${file} failed: ${(error as Error).message}`);
      }
    }
    return applied;
  } finally {
    sqlite.close();
  }
}

// The table as Prisma's own migrate creates it on PostgreSQL, so `prisma migrate status` reads it.
const POSTGRESQL_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  "id" VARCHAR(36) PRIMARY KEY NOT NULL,
  "checksum" VARCHAR(64) NOT NULL,
  "finished_at" TIMESTAMPTZ,
  "migration_name" VARCHAR(255) NOT NULL,
  "logs" TEXT,
  "rolled_back_at" TIMESTAMPTZ,
  "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
  "applied_steps_count" INTEGER NOT NULL DEFAULT 0
)`;

/**
 * The advisory lock the migrator holds: instances that start together on a new database wait
 * for the first to finish, however long its migrations take (pg_advisory_lock has no timeout,
 * unlike the Prisma CLI's own lock on 72707369). The key is "imprint" in ASCII.
 */
export const MIGRATION_LOCK_KEY = 0x696d7072696e74n;

async function applyPostgresqlMigrations(databaseUrl: string, dir: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_KEY.toString()]);
    await client.query(POSTGRESQL_MIGRATIONS_TABLE);
    const done = new Set((await client.query<{ migration_name: string }>(DONE)).rows.map((row) => row.migration_name));
    const names = migrationNames(dir);
    refuseUnknown(done, names, `the database ${client.database}`);
    const applied: string[] = [];
    for (const name of names) {
      if (done.has(name)) continue;
      const migration = readMigration(dir, name);
      await client.query("BEGIN");
      try {
        // A script of several statements: the simple query protocol runs them in order.
        await client.query(migration.sql);
        await client.query(
          `INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, started_at, applied_steps_count)
           VALUES ($1, $2, now(), $3, now(), 1)`,
          [randomUUID(), migration.checksum, name],
        );
        await client.query("COMMIT");
        applied.push(name);
      } catch (error) {
        await client.query("ROLLBACK");
        throw new Error(`migration ${name} of the database ${client.database} failed: ${(error as Error).message}`);
      }
    }
    return applied;
  } finally {
    // Ending the session releases the advisory lock too.
    await client.end();
  }
}

/** What a data migration computes that SQL cannot. */
function registerMigrationFunctions(sqlite: Database.Database): void {
  sqlite.function("imprint_volume_digest", { deterministic: true }, (lengthBytes, chunks) =>
    volumeDigest(Number(lengthBytes), JSON.parse(String(chunks)) as Array<[number, string]>),
  );
}
