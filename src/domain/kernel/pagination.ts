// Keyset pagination over time-ordered ids: the cost of a page does not grow with its depth.
import { ValidationError } from "./errors.ts";

export interface PageArgs {
  first?: number | null;
  /** The id of the last item of the previous page. */
  afterId?: string | null;
}

export interface Page<T> {
  items: T[];
  hasNextPage: boolean;
  /** Counted only when asked for: a count is a scan. */
  totalCount: () => Promise<number>;
}

export const DEFAULT_PAGE_SIZE = 20;

export function pageSize(first: number | null | undefined, max: number): number {
  if (first === null || first === undefined) return Math.min(DEFAULT_PAGE_SIZE, max);
  if (!Number.isInteger(first) || first < 0 || first > max) {
    throw ValidationError.field("first", `must be a whole number from 0 to ${max}`);
  }
  return first;
}

export type Order = "asc" | "desc";

/** Where-clause and ordering for one keyset page; fetch `take` rows and pass them to toPage. */
export function keyset(args: PageArgs, max: number, order: Order) {
  const size = pageSize(args.first, max);
  return {
    size,
    take: size + 1,
    order,
    afterId: args.afterId ?? null,
    orderBy: { id: order },
    idAfter: args.afterId ? (order === "asc" ? { gt: args.afterId } : { lt: args.afterId }) : undefined,
  };
}

export function toPage<T>(rows: T[], size: number, totalCount: () => Promise<number>): Page<T> {
  return { items: rows.slice(0, size), hasNextPage: rows.length > size, totalCount };
}

/** Orders rows by the requested ids, with null where a row is missing or not the caller's. */
export function inIdOrder<T extends { id: string }>(ids: readonly string[], rows: T[]): (T | null)[] {
  const byId = new Map(rows.map((row) => [row.id, row]));
  return ids.map((id) => byId.get(id) ?? null);
}
