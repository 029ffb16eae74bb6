// Per-account quotas (servers, templates, stored bytes, operations in flight), checked in
// the transaction that would go over them, so two requests at once cannot both pass.
import type { Prisma } from "../../db/prisma.ts";
import type { Quotas } from "../../config.ts";
import { QuotaExceededError } from "../kernel/index.ts";

export type QuotaName = keyof Quotas;

type Tx = Prisma.TransactionClient;

const usage: Record<QuotaName, (tx: Tx, accountId: string) => Promise<number>> = {
  servers: (tx, accountId) => tx.server.count({ where: { accountId } }),
  templates: (tx, accountId) => tx.imageTemplate.count({ where: { accountId } }),
  storedBytes: (tx, accountId) => accountStoredBytes(tx, accountId),
  concurrentOperations: (tx, accountId) => tx.operation.count({ where: { accountId, status: { in: ["QUEUED", "RUNNING"] } } }),
};

/**
 * Compressed bytes of the distinct chunks the account's templates use: what the account
 * needs from the store, whatever other accounts share with it.
 */
export async function accountStoredBytes(tx: Tx, accountId: string): Promise<number> {
  const { _sum } = await tx.chunk.aggregate({
    where: { templates: { some: { template: { accountId } } } },
    _sum: { storedBytes: true },
  });
  return _sum.storedBytes ?? 0;
}

/**
 * The first quota that one more of each named thing would exceed, or null. Stored bytes
 * have no size known in advance: a capture is refused once the account is at its limit.
 */
export async function quotaRefusal(tx: Tx, accountId: string, quotas: Quotas, names: QuotaName[]): Promise<QuotaExceededError | null> {
  for (const name of names) {
    const used = await usage[name](tx, accountId);
    const over = name === "storedBytes" ? used >= quotas[name] : used + 1 > quotas[name];
    if (over) return new QuotaExceededError(name, quotas[name], used);
  }
  return null;
}
