// The chunk store's lock (domain/templates/store-lock.ts) across every instance on one
// PostgreSQL database: a session advisory lock, shared by captures (pg_advisory_lock_shared)
// and taken alone by sweeps (pg_advisory_lock). PostgreSQL queues a shared request behind a
// waiting exclusive one, so captures cannot starve a sweep here either. Each holder has a
// connection of its own for as long as it holds the lock (captures and sweeps are few and
// long); an instance that dies ends its sessions, and its locks go with them.
import pg from "pg";
import type { ChunkStoreLock } from "../domain/templates/store-lock.ts";

/** "imprint-chunks" in short: another key than the migrator's. */
export const STORE_LOCK_KEY = 0x696d7063686bn;

/** A session's name in pg_stat_activity (at most 63 bytes). */
const applicationName = (holder: string) => `imprint-store-lock:${holder}`.slice(0, 63);

export class PostgresqlStoreLock implements ChunkStoreLock {
  private readonly databaseUrl: string;

  constructor(databaseUrl: string) {
    this.databaseUrl = databaseUrl;
  }

  shared<T>(work: () => Promise<T>, holder?: string): Promise<T> {
    return this.holding("pg_advisory_lock_shared", work, holder);
  }

  exclusive<T>(work: () => Promise<T>): Promise<T> {
    return this.holding("pg_advisory_lock", work);
  }

  /** Terminates the holder's sessions (named after it), which releases their locks. */
  async evict(holder: string): Promise<void> {
    const session = new pg.Client({ connectionString: this.databaseUrl });
    await session.connect();
    try {
      await session.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1`, [applicationName(holder)]);
    } finally {
      await session.end();
    }
  }

  private async holding<T>(take: "pg_advisory_lock_shared" | "pg_advisory_lock", work: () => Promise<T>, holder?: string): Promise<T> {
    const session = new pg.Client({ connectionString: this.databaseUrl, application_name: holder ? applicationName(holder) : "imprint-store-lock" });
    // The server closing the session (a restart) releases the lock: the holder's writes are
    // then unguarded, which is what the error says, instead of the process ending.
    session.on("error", () => undefined);
    await session.connect();
    try {
      await session.query(`SELECT ${take}($1)`, [STORE_LOCK_KEY.toString()]);
      return await work();
    } finally {
      // Ending the session releases the lock.
      await session.end().catch(() => undefined);
    }
  }
}
