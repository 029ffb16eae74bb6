// The store lock: sweeps exclude captures, and a waiting sweep is not starved by captures;
// in one process (StoreLock), and between instances on one PostgreSQL database (an advisory
// lock: each "instance" here is a lock of its own, on sessions of its own).
import pg from "pg";
import { describe, expect, it } from "vitest";
import { PostgresqlStoreLock } from "../src/db/postgresql-store-lock.ts";
import { StoreLock, type ChunkStoreLock } from "../src/domain/templates/index.ts";
import { newPostgresqlDatabase } from "./helpers/database.ts";

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** Two handles on one lock, and a wait until a request for it is queued behind a holder. */
type Kind = () => { locks: [ChunkStoreLock, ChunkStoreLock]; queued: () => Promise<void> };

const kinds: Array<[string, Kind]> = [
  ["StoreLock, in one process", () => {
    const lock = new StoreLock();
    // exclusive() counts itself as waiting before it returns.
    return { locks: [lock, lock], queued: async () => undefined };
  }],
  ["PostgresqlStoreLock, between two instances", () => {
    const url = newPostgresqlDatabase("store_lock");
    const queued = async () => {
      const probe = new pg.Client({ connectionString: url });
      await probe.connect();
      try {
        for (const deadline = Date.now() + 10_000; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 10))) {
          const { rows } = await probe.query(`SELECT count(*)::int AS waiting FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`);
          if (rows[0].waiting > 0) return;
        }
        throw new Error("no request queued for the lock within 10 s");
      } finally {
        await probe.end();
      }
    };
    return { locks: [new PostgresqlStoreLock(url), new PostgresqlStoreLock(url)], queued };
  }],
];

/** Resolves once `check` holds, polling the lock's effects (a PostgreSQL lock answers over the network). */
async function eventually(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe.each(kinds)("%s", (_name, make) => {
  it("lets a waiting writer go before readers that arrive after it", async () => {
    const { locks: [lock, other], queued } = make();
    const order: string[] = [];
    const first = deferred();
    const reader1 = lock.shared(async () => {
      order.push("reader 1 in");
      await first.promise;
      order.push("reader 1 out");
    });
    await eventually(() => order.includes("reader 1 in"));
    const writer = other.exclusive(async () => {
      order.push("writer");
    });
    // The writer waits in the lock's queue before the second reader asks.
    await queued();
    const reader2 = lock.shared(async () => {
      order.push("reader 2");
    });
    first.resolve();
    await Promise.all([reader1, writer, reader2]);
    expect(order).toEqual(["reader 1 in", "reader 1 out", "writer", "reader 2"]);
  });

  it("never runs a writer beside readers or another writer", async () => {
    const { locks } = make();
    let readers = 0;
    let writers = 0;
    const seen: string[] = [];
    const tasks = Array.from({ length: 40 }, (_, i) =>
      i % 5 === 0
        ? locks[i % 2].exclusive(async () => {
            writers++;
            if (writers > 1 || readers > 0) seen.push(`writer ${i} overlapped`);
            await new Promise((r) => setTimeout(r, 2));
            writers--;
          })
        : locks[i % 2].shared(async () => {
            readers++;
            if (writers > 0) seen.push(`reader ${i} overlapped a writer`);
            await new Promise((r) => setTimeout(r, 2));
            readers--;
          }),
    );
    await Promise.all(tasks);
    expect(seen).toEqual([]);
  });
});
