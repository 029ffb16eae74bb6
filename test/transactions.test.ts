// Transactions isolate on SQLite: another request's statements never join an open
// interactive transaction, so a rollback neither loses them nor lets them see its writes.
import { rmSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeDb, createDb, type Db } from "../src/db/client.ts";
import { applyMigrations } from "../src/db/migrate.ts";
import { tempDataDir } from "./helpers/app.ts";

let dir: string;
let db: Db;

beforeAll(async () => {
  dir = tempDataDir();
  const url = `file:${path.join(dir, "imprint.db")}`;
  await applyMigrations(url);
  db = await createDb(url);
  await db.account.create({ data: { id: "acct_a", name: "committed name" } });
});
afterAll(async () => {
  await closeDb(db);
  rmSync(dir, { recursive: true, force: true });
});

class Rollback extends Error {}

describe("an interactive transaction that rolls back", () => {
  it("keeps other requests' writes and hides its own uncommitted writes from them", async () => {
    let transactionOpen = false;
    const seenWhileOpen: string[] = [];
    let outsideWrite: Promise<number> | undefined;
    let outsideRead: Promise<{ name: string } | null> | undefined;

    await expect(
      db.$transaction(async (tx) => {
        transactionOpen = true;
        await tx.account.update({ where: { id: "acct_a" }, data: { name: "uncommitted name" } });
        // Two other requests arrive while the transaction is open.
        outsideWrite = db.$executeRawUnsafe(`INSERT INTO "Account" ("id", "name", "createdAt") VALUES ('acct_b', 'other request', 0)`);
        void outsideWrite.then(() => transactionOpen && seenWhileOpen.push("write"));
        outsideRead = db.account.findUnique({ where: { id: "acct_a" }, select: { name: true } });
        void outsideRead.then(() => transactionOpen && seenWhileOpen.push("read"));
        // More work inside the transaction gives them every chance to interleave.
        for (let i = 0; i < 5; i++) await tx.account.count();
        transactionOpen = false;
        throw new Rollback();
      }),
    ).rejects.toBeInstanceOf(Rollback);

    expect(await outsideWrite).toBe(1);
    expect(await outsideRead).toEqual({ name: "committed name" });
    // Neither finished while the transaction was open: they waited for it.
    expect(seenWhileOpen).toEqual([]);
    // The other request's row survived the rollback; the transaction's update did not.
    expect(await db.account.findUnique({ where: { id: "acct_b" }, select: { name: true } })).toEqual({ name: "other request" });
    expect(await db.account.findUnique({ where: { id: "acct_a" }, select: { name: true } })).toEqual({ name: "committed name" });
  });

  it("keeps the rows of writers that arrive during 10 transactions, half of which roll back", async () => {
    const writers: Promise<unknown>[] = [];
    const transactions = Array.from({ length: 10 }, (_, i) =>
      db
        .$transaction(async (tx) => {
          await tx.account.create({ data: { id: `acct_t${i}`, name: `transaction ${i}` } });
          // (.then starts a Prisma query, which is lazy.)
          for (let w = 0; w < 5; w++) writers.push(db.$executeRawUnsafe(`INSERT INTO "Account" ("id", "name", "createdAt") VALUES ('acct_w${i}_${w}', 'writer', 0)`).then((n) => n));
          for (let n = 0; n < 3; n++) await tx.account.count();
          if (i % 2 === 0) throw new Rollback();
        })
        .catch((error) => {
          if (!(error instanceof Rollback)) throw error;
        }),
    );
    await Promise.all(transactions);
    await Promise.all(writers);
    const ids = new Set((await db.account.findMany({ select: { id: true } })).map((a) => a.id));
    expect(writers).toHaveLength(50);
    for (let i = 0; i < 10; i++) for (let w = 0; w < 5; w++) expect(ids.has(`acct_w${i}_${w}`)).toBe(true);
    for (let i = 0; i < 10; i++) expect(ids.has(`acct_t${i}`)).toBe(i % 2 === 1);
  });
});

describe("the hot reads (raw-sql.ts) while a transaction is open", () => {
  it("answer at once with the committed rows, and see the transaction's writes once it commits", async () => {
    const { selectRows, sql } = await import("../src/db/raw-sql.ts");
    const nameOf = async (id: string) =>
      (await selectRows<{ name: string }>(db, sql`SELECT "name" FROM "Account" WHERE "id" = ${id}`))[0]?.name ?? null;
    await db.account.create({ data: { id: "acct_hot", name: "before" } });
    let readWhileOpen: Array<string | null> = [];
    await db.$transaction(async (tx) => {
      await tx.account.update({ where: { id: "acct_hot" }, data: { name: "after" } });
      await tx.account.create({ data: { id: "acct_hot_new", name: "new" } });
      // Read from outside while the transaction holds its writes: no waiting for it (it
      // waits for this read), and none of its uncommitted rows.
      readWhileOpen = [await nameOf("acct_hot"), await nameOf("acct_hot_new")];
    });
    expect(readWhileOpen).toEqual(["before", null]);
    expect([await nameOf("acct_hot"), await nameOf("acct_hot_new")]).toEqual(["after", "new"]);
  });
});

describe("the transaction helper", () => {
  it("rolls back what the work wrote when it returns a refusal, and throws that refusal", async () => {
    const { transaction, ValidationError } = await import("../src/domain/kernel/index.ts");
    const refusal = ValidationError.field("name", "is taken");
    await expect(
      transaction(db, async (tx) => {
        await tx.account.create({ data: { id: "acct_refused", name: "written before the refusal" } });
        return refusal;
      }),
    ).rejects.toBe(refusal);
    expect(await db.account.findUnique({ where: { id: "acct_refused" } })).toBeNull();
    expect(await transaction(db, async (tx) => (await tx.account.create({ data: { id: "acct_kept", name: "kept" } })).id)).toBe("acct_kept");
  });
});
