// The one transaction helper. The work returns a DomainError to refuse (a name taken, a
// quota reached, a state in the way): the transaction is rolled back and the refusal thrown
// to the caller after it ended, so refusals are values inside and typed errors outside.
import type { Db } from "../../db/client.ts";
import type { Prisma } from "../../db/prisma.ts";
import { DomainError } from "./errors.ts";

export type Tx = Prisma.TransactionClient;

const REFUSED = Symbol("refused");

export async function transaction<T>(db: Db, work: (tx: Tx) => Promise<T>): Promise<Exclude<T, DomainError>> {
  let refusal: DomainError | null = null;
  try {
    return (await db.$transaction(async (tx) => {
      const result = await work(tx);
      if (result instanceof DomainError) {
        refusal = result;
        throw REFUSED;
      }
      return result;
    })) as Exclude<T, DomainError>;
  } catch (error) {
    if (error === REFUSED && refusal) throw refusal;
    throw error;
  }
}
