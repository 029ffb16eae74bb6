// Raw SQL for the few hottest reads: the pages of servers, templates and operations, and the
// loaders of a server's fields. For a page of 50 servers, Prisma's query compiler and result mapping took about 3
// times the statement itself, and its raw-query path (`$queryRaw`) still twice (bench/
// findings.md, issue 13). So these run on a read-only connection of their own with prepared
// statements kept (sqlite-reader.ts), and the rows are decoded by declared column type into
// what the model types hold: Date, bigint, boolean (test/raw-sql.test.ts holds them equal to
// Prisma's own queries). They see committed data only: never call them for a transaction's
// own writes. Identifiers are double-quoted, as both SQLite and PostgreSQL read them.
import { hotReadsOf, type Db } from "./client.ts";
import { Prisma } from "./prisma.ts";

export type Sql = Prisma.Sql;
export const sql = Prisma.sql;
export const joinSql = Prisma.join;
/** SQL text spliced in as it is: only for text the code itself writes (column lists), never input. */
export const raw = Prisma.raw;

const COLUMN_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The select list of these columns, or `*` for all of them (null). Names are the code's own,
 * never input; given the table's columns (Prisma's `<Model>ScalarFieldEnum`), a name that is not
 * one of them makes the statement read every column rather than fail.
 */
export function columnsSql(columns: readonly string[] | null, table?: Record<string, string>): Sql {
  if (columns === null || (table && columns.some((column) => !Object.hasOwn(table, column)))) return raw("*");
  const bad = columns.find((column) => !COLUMN_NAME.test(column));
  if (bad !== undefined || columns.length === 0) throw new Error(`not a column list: ${JSON.stringify(columns)}`);
  return raw(columns.map((column) => `"${column}"`).join(", "));
}

/** `a AND b AND …` of the conditions given. */
export function allOf(conditions: Sql[]): Sql {
  return joinSql(conditions, " AND ");
}

/**
 * Whether `column` holds `text` as a literal substring (`%`, `_` and `\` included), whatever
 * the case: lower() on both sides, because LIKE ignores ASCII case on SQLite and not on
 * PostgreSQL.
 */
export function containsText(column: Sql, text: string): Sql {
  const pattern = `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  return sql`lower(${column}) LIKE lower(${pattern}) ESCAPE '\\'`;
}

/** One keyset page over time-ordered ids (kernel/pagination.ts). */
export interface KeysetPage {
  order: "asc" | "desc";
  afterId: string | null;
  take: number;
}

/** The page's condition on ids: none for the first page. */
function afterCursor(page: KeysetPage): Sql[] {
  if (page.afterId === null) return [];
  return [page.order === "asc" ? sql`"id" > ${page.afterId}` : sql`"id" < ${page.afterId}`];
}

function orderAndLimit(page: KeysetPage): Sql {
  return page.order === "asc" ? sql`ORDER BY "id" ASC LIMIT ${page.take}` : sql`ORDER BY "id" DESC LIMIT ${page.take}`;
}

/** COUNT(*) comes back as a number or a bigint, depending on the driver. */
function countOf(rows: Array<{ count: bigint | number }>): number {
  return Number(rows[0]?.count ?? 0);
}

/** The rows of a SELECT, as objects keyed by column name, typed as Prisma's models type them. */
export async function selectRows<T>(db: Db, query: Sql): Promise<T[]> {
  const { reader, onStatement } = hotReadsOf(db);
  onStatement?.(query.sql);
  return (await reader.all(query)) as T[];
}

/**
 * One keyset page of `table`'s rows that match `where`, reading `columns` (columnsSql), and
 * how to count all the rows that match. `table` is the code's own name, never input.
 */
export async function selectPage<T>(db: Db, table: string, columns: Sql, where: Sql, page: KeysetPage): Promise<{ rows: T[]; count: () => Promise<number> }> {
  if (!COLUMN_NAME.test(table)) throw new Error(`not a table name: ${JSON.stringify(table)}`);
  const from = raw(`"${table}"`);
  const rows = await selectRows<T>(db, sql`SELECT ${columns} FROM ${from} WHERE ${allOf([where, ...afterCursor(page)])} ${orderAndLimit(page)}`);
  return { rows, count: async () => countOf(await selectRows<{ count: number }>(db, sql`SELECT COUNT(*) AS "count" FROM ${from} WHERE ${where}`)) };
}
