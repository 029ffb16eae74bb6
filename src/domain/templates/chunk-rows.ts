// The catalogue rows of new chunks, written in batches: while one INSERT runs, the rows of the
// chunks stored meanwhile wait and go together in the next one. A capture stores up to
// CHUNKS_AT_ONCE chunks at a time, and a statement per chunk (through Prisma's query builder)
// was a large part of the main thread's work in a capture (bench/findings.md, issue 13).
// Prisma's createMany cannot skip duplicates on SQLite, hence the raw INSERT (portable SQL:
// ON CONFLICT DO NOTHING reads the same on PostgreSQL).
import type { Db } from "../../db/client.ts";
import { joinSql, sql } from "../../db/raw-sql.ts";

export interface ChunkRow {
  hash: string;
  sizeBytes: number;
  storedBytes: number;
  createdAt: Date;
}

interface Queued {
  row: ChunkRow;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** 5 parameters a row, well under what a statement may bind (SQLite 32,766; PostgreSQL 65,535). */
const ROWS_PER_STATEMENT = 500;

export class ChunkRows {
  private readonly queue: Queued[] = [];
  private flushing = false;

  private readonly db: Db;
  /** The store's key, on every row (Chunk.store). */
  private readonly store: string;
  constructor(db: Db, store: string) {
    this.db = db;
    this.store = store;
  }

  /**
   * Inserts the chunk's row (a row already there, written by another instance, is kept) and
   * resolves once it is committed.
   */
  insert(row: ChunkRow): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ row, resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, ROWS_PER_STATEMENT);
        try {
          const values = batch.map(({ row }) => sql`(${this.store}, ${row.hash}, ${row.sizeBytes}, ${row.storedBytes}, ${row.createdAt})`);
          await this.db.$executeRaw`INSERT INTO "Chunk" ("store", "hash", "sizeBytes", "storedBytes", "createdAt") VALUES ${joinSql(values)} ON CONFLICT ("store", "hash") DO NOTHING`;
          for (const queued of batch) queued.resolve();
        } catch (error) {
          for (const queued of batch) queued.reject(error);
        }
      }
    } finally {
      this.flushing = false;
    }
  }
}
