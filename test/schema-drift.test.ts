// The two providers' migrations must make the same tables from the one models file
// (prisma/models.prisma): the same columns, nullable alike, with the same unique keys and
// foreign keys. A migration written for one provider only, or edited by hand in one folder,
// fails here.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyMigrations } from "../src/db/migrate.ts";
import { Prisma } from "../src/db/prisma.ts";
import { newPostgresqlDatabase } from "./helpers/database.ts";

interface Table {
  /** Column name -> nullable. */
  columns: Record<string, boolean>;
  /** Column lists of the unique indexes and the primary key, each sorted, all sorted. */
  unique: string[];
  /** "columns -> table(columns)", sorted. */
  references: string[];
}
type Shape = Record<string, Table>;

const sorted = (items: string[]) => [...items].sort();

function sqliteShape(file: string): Shape {
  const db = new Database(file, { readonly: true });
  try {
    const tables = (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '_prisma_migrations'`).all() as Array<{ name: string }>).map((row) => row.name);
    const shape: Shape = {};
    for (const table of tables) {
      const info = db.prepare(`PRAGMA table_info("${table}")`).all() as Array<{ name: string; notnull: number; pk: number }>;
      const columns = Object.fromEntries(info.map((column) => [column.name, column.notnull === 0 && column.pk === 0]));
      const unique = (db.prepare(`PRAGMA index_list("${table}")`).all() as Array<{ name: string; unique: number }>)
        .filter((index) => index.unique === 1)
        .map((index) => sorted((db.prepare(`PRAGMA index_info("${index.name}")`).all() as Array<{ name: string }>).map((column) => column.name)).join(","));
      const primaryKey = info.filter((column) => column.pk > 0).map((column) => column.name);
      const references = (db.prepare(`PRAGMA foreign_key_list("${table}")`).all() as Array<{ table: string; from: string; to: string }>).map(
        (key) => `${key.from} -> ${key.table}(${key.to})`,
      );
      shape[table] = { columns, unique: sorted([...new Set([...unique, sorted(primaryKey).join(",")])]), references: sorted(references) };
    }
    return shape;
  } finally {
    db.close();
  }
}

async function postgresqlShape(url: string): Promise<Shape> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const columns = await client.query<{ table_name: string; column_name: string; is_nullable: string }>(
      `SELECT table_name, column_name, is_nullable FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> '_prisma_migrations'`,
    );
    const unique = await client.query<{ table_name: string; columns: string[] }>(
      `SELECT t.relname AS table_name, array_agg(a.attname::text ORDER BY a.attname) AS columns
         FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace
         JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = ANY(i.indkey)
        WHERE n.nspname = 'public' AND i.indisunique AND t.relname <> '_prisma_migrations'
        GROUP BY t.relname, i.indexrelid`,
    );
    const references = await client.query<{ table_name: string; reference: string }>(
      `SELECT t.relname AS table_name, a.attname || ' -> ' || r.relname || '(' || ra.attname || ')' AS reference
         FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_class r ON r.oid = c.confrelid
         -- Every column of a composite key, each with the one it references (as SQLite lists them).
         CROSS JOIN LATERAL unnest(c.conkey, c.confkey) AS k(col, refcol)
         JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.col
         JOIN pg_attribute ra ON ra.attrelid = r.oid AND ra.attnum = k.refcol
        WHERE c.contype = 'f'`,
    );
    const shape: Shape = {};
    const table = (name: string) => (shape[name] ??= { columns: {}, unique: [], references: [] });
    for (const row of columns.rows) table(row.table_name).columns[row.column_name] = row.is_nullable === "YES";
    for (const row of unique.rows) table(row.table_name).unique.push(row.columns.join(","));
    for (const row of references.rows) table(row.table_name).references.push(row.reference);
    for (const entry of Object.values(shape)) {
      entry.unique = sorted(entry.unique);
      entry.references = sorted(entry.references);
    }
    return shape;
  } finally {
    await client.end();
  }
}

let dir: string;
let sqlite: Shape;
let postgresql: Shape;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "imprint-drift-"));
  const file = path.join(dir, "imprint.db");
  await applyMigrations(`file:${file}`);
  sqlite = sqliteShape(file);
  const url = newPostgresqlDatabase("drift");
  await applyMigrations(url);
  postgresql = await postgresqlShape(url);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the migrations of both providers", () => {
  it("make the same tables, columns, nullability, unique keys and foreign keys", () => {
    expect(postgresql).toEqual(sqlite);
  });

  it("make every model's columns, and nothing the models do not have", () => {
    const models = Object.fromEntries(
      Object.values(Prisma.ModelName).map((model) => [model, sorted(Object.values((Prisma as unknown as Record<string, Record<string, string>>)[`${model}ScalarFieldEnum`]))]),
    );
    const tables = Object.fromEntries(Object.entries(sqlite).map(([table, { columns }]) => [table, sorted(Object.keys(columns))]));
    expect(tables).toEqual(models);
  });
});
