// Relay connections over the domain's keyset pages. Cursors are opaque: base64url of the
// row id, which is all the domain needs to continue after it.
import { ValidationError } from "../domain/kernel/index.ts";
import type { Page, PageArgs } from "../domain/kernel/index.ts";

const PREFIX = "cursor:";

function encodeCursor(id: string): string {
  return Buffer.from(PREFIX + id).toString("base64url");
}

function decodeCursor(cursor: string): string {
  const text = Buffer.from(cursor, "base64url").toString("utf8");
  if (!text.startsWith(PREFIX) || text.length === PREFIX.length) throw ValidationError.field("after", "is not a cursor from this list");
  return text.slice(PREFIX.length);
}

export interface ConnectionArgs {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
}

/** Where a connection's nodes are in its selection (for `selectedColumns`). */
export const NODES = ["edges", "node"];

/** Forward pagination only: `last`/`before` get a ValidationError naming them. */
export function pageArgs(args: ConnectionArgs): PageArgs {
  if (args.last != null) throw ValidationError.field("last", "backward pagination is not supported; use first/after");
  if (args.before != null) throw ValidationError.field("before", "backward pagination is not supported; use first/after");
  return { first: args.first, afterId: args.after ? decodeCursor(args.after) : null };
}

export function toConnection<T extends { id: string }>(page: Page<T>) {
  const edges = page.items.map((node) => ({ cursor: encodeCursor(node.id), node }));
  return {
    edges,
    pageInfo: {
      hasNextPage: page.hasNextPage,
      hasPreviousPage: false,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
    totalCount: page.totalCount,
  };
}

/**
 * Options of a connection type with `totalCount`; the count runs only when asked for.
 * (Typed loosely: Pothos gives each connection its own field builder type.)
 */
export function countedConnection(name: string) {
  return {
    name,
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    fields: (t: any) => ({
      totalCount: t.int({
        description: "How many items match, across all pages.",
        resolve: (connection: { totalCount: () => Promise<number> }) => connection.totalCount(),
      }),
    }),
  };
}
