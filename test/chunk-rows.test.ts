// New chunks' catalogue rows are written in batches: the rows that arrive while one INSERT
// runs go together in the next, and a row another instance wrote first is kept.
import { rmSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeDb, createDb, type Db } from "../src/db/client.ts";
import { applyMigrations } from "../src/db/migrate.ts";
import { ChunkRows } from "../src/domain/templates/chunk-rows.ts";
import { DEFAULT_STORE_KEY } from "../src/storage/index.ts";
import { tempDataDir } from "./helpers/app.ts";

let dir: string;
let db: Db;
const inserts: string[] = [];

beforeAll(async () => {
  dir = tempDataDir();
  const url = `file:${path.join(dir, "imprint.db")}`;
  await applyMigrations(url);
  db = await createDb(url, { onStatement: (sql) => /^\s*INSERT INTO "Chunk"/.test(sql) && inserts.push(sql) });
});
afterAll(async () => {
  await closeDb(db);
  rmSync(dir, { recursive: true, force: true });
});

const row = (n: number, storedBytes = 100 + n) => ({ hash: `hash-${String(n).padStart(3, "0")}`.padEnd(64, "0"), sizeBytes: 4096, storedBytes, createdAt: new Date(Date.UTC(2026, 10, 26, 0, 0, n)) });

describe("ChunkRows", () => {
  it("writes the rows that arrive while a statement runs in one statement", async () => {
    const rows = new ChunkRows(db, DEFAULT_STORE_KEY);
    inserts.length = 0;
    await Promise.all(Array.from({ length: 10 }, (_, n) => rows.insert(row(n))));
    // The first goes at once; the nine that came meanwhile go together.
    expect(inserts).toHaveLength(2);
    const hashes = Array.from({ length: 10 }, (_, n) => row(n).hash);
    const stored = await db.chunk.findMany({ where: { hash: { in: hashes } }, orderBy: { hash: "asc" } });
    expect(stored.map((c) => [c.hash, c.sizeBytes, c.storedBytes, c.createdAt.toISOString(), c.damagedAt])).toEqual(
      Array.from({ length: 10 }, (_, n) => [row(n).hash, 4096, 100 + n, row(n).createdAt.toISOString(), null]),
    );
  });

  it("keeps a row that is already there, and still writes the new ones of the batch", async () => {
    const rows = new ChunkRows(db, DEFAULT_STORE_KEY);
    await rows.insert(row(20));
    await Promise.all([rows.insert(row(20, 999)), rows.insert(row(21)), rows.insert(row(20, 999))]);
    const stored = await db.chunk.findMany({ where: { hash: { in: [row(20).hash, row(21).hash] } }, orderBy: { hash: "asc" } });
    expect(stored.map((c) => c.storedBytes)).toEqual([120, 121]);
  });
});
