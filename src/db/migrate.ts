// Applies the committed SQL migrations in prisma/migrations on start, recording them in
// Prisma's own _prisma_migrations table so `prisma migrate status` agrees with the app.
// (The Prisma CLI works here too, but starting it costs seconds on every start.)
import { createHash, randomUUID } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { BUSY_TIMEOUT_MS, sqliteFilePath } from "./client.ts";
import { volumeDigest } from "../storage/volume-digest.ts";

export const MIGRATIONS_DIR = fileURLToPath(new URL("../../prisma/migrations", import.meta.url));

const MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  "id" TEXT PRIMARY KEY NOT NULL,
  "checksum" TEXT NOT NULL,
  "finished_at" DATETIME,
  "migration_name" TEXT NOT NULL,
  "logs" TEXT,
  "rolled_back_at" DATETIME,
  "started_at" DATETIME NOT NULL DEFAULT current_timestamp,
  "applied_steps_count" INTEGER UNSIGNED NOT NULL DEFAULT 0
)`;

/** The committed migrations, in the order they apply. */
export function migrationNames(migrationsDir = MIGRATIONS_DIR): string[] {
  return readdirSync(migrationsDir)
    .filter((name) => existsSync(path.join(migrationsDir, name, "migration.sql")))
    .sort();
}

/** Returns the names of the migrations it applied. */
export function applyMigrations(databaseUrl: string, migrationsDir = MIGRATIONS_DIR): string[] {
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
    sqlite.exec(MIGRATIONS_TABLE);
    const done = new Set(
      sqlite
        .prepare(`SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`)
        .all()
        .map((row) => (row as { migration_name: string }).migration_name),
    );
    const names = migrationNames(migrationsDir);
    const unknown = [...done].filter((name) => !names.includes(name));
    if (unknown.length > 0) throw new Error(`the database file ${file} was migrated by a newer imprint (unknown migrations: ${unknown.join(", ")}); use that version or a backup`);
    const applied: string[] = [];
    for (const name of names) {
      if (done.has(name)) continue;
      const sql = readFileSync(path.join(migrationsDir, name, "migration.sql"), "utf8");
      const checksum = createHash("sha256").update(sql).digest("hex");
      // BEGIN IMMEDIATE: two processes starting on one new database apply each migration once.
      sqlite.exec("BEGIN IMMEDIATE");
      try {
        const already = sqlite
          .prepare(`SELECT 1 FROM _prisma_migrations WHERE migration_name = ? AND finished_at IS NOT NULL`)
          .get(name);
        if (!already) {
          sqlite.exec(sql);
          const broken = sqlite.pragma("foreign_key_check") as Array<{ table: string; parent: string }>;
          if (broken.length > 0) throw new Error(`it leaves ${broken.length} row(s) of ${broken[0].table} referring to missing ${broken[0].parent} rows`);
          sqlite
            .prepare(
              `INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, started_at, applied_steps_count)
               VALUES (?, ?, current_timestamp, ?, current_timestamp, 1)`,
            )
            .run(randomUUID(), checksum, name);
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

/** What a data migration computes that SQL cannot. */
function registerMigrationFunctions(sqlite: Database.Database): void {
  sqlite.function("imprint_volume_digest", { deterministic: true }, (lengthBytes, chunks) =>
    volumeDigest(Number(lengthBytes), JSON.parse(String(chunks)) as Array<[number, string]>),
  );
}
