// The one transaction helper. The work returns a DomainError to refuse (a name taken, a
// quota reached, a state in the way): the transaction is rolled back and the refusal thrown
// to the caller after it ended, so refusals are values inside and typed errors outside.
//
// Every transaction is SERIALIZABLE, because the work checks a limit and then writes what the
// limit guards (a quota's count, the next free address, a server's one operation): under
// PostgreSQL's default READ COMMITTED two transactions could both see room. On PostgreSQL the
// loser of such a race fails with a serialization failure and runs again from the start,
// now seeing the winner's rows; on SQLite, which runs one writer at a time, that never
// happens. The work therefore does nothing but database statements: it may run more than once.
import type { Db } from "../../db/client.ts";
import { isSerializationFailure } from "../../db/errors.ts";
import type { Prisma } from "../../db/prisma.ts";
import { DomainError } from "./errors.ts";

export type Tx = Prisma.TransactionClient;

const REFUSED = Symbol("refused");

/**
 * Runs of one transaction before its serialization failure is the caller's. Each round of a
 * race on one row (ten deploys of one template, all raising its hold) lets at least one
 * through, so this must exceed the contenders a burst brings: with 8, the tenth of ten
 * simultaneous deploys could fail (seen in CI on PostgreSQL).
 */
export const SERIALIZATION_ATTEMPTS = 20;
/** The longest wait between two runs; jittered below it. */
const MAX_BACKOFF_MS = 200;

/**
 * Prisma's limits on an interactive transaction: how long it may wait to start, and to run.
 * Past its 5 s default Prisma rolls the transaction back under a statement that is still
 * waiting for a row lock (PostgreSQL's lock_timeout is IMPRINT_DB_BUSY_TIMEOUT_MS, 5 s too),
 * and gives the pool a connection that is still busy. These let the database's own timeout
 * (a `busy` fault) end a stuck statement first.
 */
const TRANSACTION_LIMITS = { maxWait: 10_000, timeout: 30_000 };

const backoff = (attempt: number) => new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(MAX_BACKOFF_MS, 5 * 2 ** attempt)));

export async function transaction<T>(db: Db, work: (tx: Tx) => Promise<T>): Promise<Exclude<T, DomainError>> {
  for (let attempt = 1; ; attempt++) {
    let refusal: DomainError | null = null;
    try {
      return (await db.$transaction(
        async (tx) => {
          const result = await work(tx);
          if (result instanceof DomainError) {
            refusal = result;
            throw REFUSED;
          }
          return result;
        },
        { isolationLevel: "Serializable", ...TRANSACTION_LIMITS },
      )) as Exclude<T, DomainError>;
    } catch (error) {
      if (error === REFUSED && refusal) throw refusal;
      if (!isSerializationFailure(error) || attempt >= SERIALIZATION_ATTEMPTS) throw error;
      await backoff(attempt);
    }
  }
}
