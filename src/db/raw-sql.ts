// Raw SQL for the few hottest reads: the read path's page of servers and the loaders of its
// fields. For a page of 50 servers, Prisma's query compiler and result mapping took about 3
// times the statement itself, and its raw-query path (`$queryRaw`) still twice (bench/
// findings.md, issue 13). So these run on the client's own driver adapter, the connection
// Prisma itself uses (same lock, same transactions rule), and the rows are decoded here by
// column type into what the model types hold: Date, bigint, boolean (test/raw-sql.test.ts
// holds them equal to Prisma's own queries). Identifiers are double-quoted, as both SQLite
// and PostgreSQL read them.
import { ColumnTypeEnum, type ArgType, type ColumnType, type SqlResultSet } from "@prisma/driver-adapter-utils";
import { connectionOf, type Db } from "./client.js";
import { Prisma } from "./generated/client.js";

export type Sql = Prisma.Sql;
export const sql = Prisma.sql;
export const joinSql = Prisma.join;

/** `a AND b AND …` of the conditions given. */
export function allOf(conditions: Sql[]): Sql {
  return joinSql(conditions, " AND ");
}

/** `column LIKE pattern`: a literal substring, `%`, `_` and `\` included. */
export function containsText(column: Sql, text: string): Sql {
  const pattern = `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  return sql`${column} LIKE ${pattern} ESCAPE '\\'`;
}

/** One keyset page over time-ordered ids (kernel/pagination.ts). */
export interface KeysetPage {
  order: "asc" | "desc";
  afterId: string | null;
  take: number;
}

/** The page's condition on ids: none for the first page. */
export function afterCursor(page: KeysetPage): Sql[] {
  if (page.afterId === null) return [];
  return [page.order === "asc" ? sql`"id" > ${page.afterId}` : sql`"id" < ${page.afterId}`];
}

export function orderAndLimit(page: KeysetPage): Sql {
  return page.order === "asc" ? sql`ORDER BY "id" ASC LIMIT ${page.take}` : sql`ORDER BY "id" DESC LIMIT ${page.take}`;
}

/** COUNT(*) comes back as a number or a bigint, depending on the driver. */
export function countOf(rows: Array<{ count: bigint | number }>): number {
  return Number(rows[0]?.count ?? 0);
}

/** The rows of a SELECT, as objects keyed by column name. */
export async function selectRows<T>(db: Db, query: Sql): Promise<T[]> {
  const connection = connectionOf(db);
  const result = await connection.queryRaw({
    // `?` placeholders for SQLite, `$1` for PostgreSQL.
    sql: connection.provider === "postgres" ? query.text : query.sql,
    args: query.values,
    argTypes: query.values.map(argTypeOf),
  });
  return decodeRows(result) as T[];
}

function argTypeOf(value: unknown): ArgType {
  const scalarType = typeof value === "number" ? (Number.isInteger(value) ? "int" : "float") : typeof value === "bigint" ? "bigint" : typeof value === "boolean" ? "boolean" : "string";
  return { scalarType, arity: "scalar" } as ArgType;
}

function decodeRows({ columnNames, columnTypes, rows }: SqlResultSet): Array<Record<string, unknown>> {
  return rows.map((row) => {
    const object: Record<string, unknown> = {};
    for (let i = 0; i < columnNames.length; i++) object[columnNames[i]] = decode(row[i], columnTypes[i]);
    return object;
  });
}

function decode(value: unknown, type: ColumnType): unknown {
  if (value === null || value === undefined) return null;
  switch (type) {
    case ColumnTypeEnum.Int64:
      return BigInt(value as string | number | bigint);
    case ColumnTypeEnum.Int32:
    case ColumnTypeEnum.Float:
    case ColumnTypeEnum.Double:
      return Number(value);
    case ColumnTypeEnum.Boolean:
      return value === true || value === 1 || value === "1" || value === "true";
    case ColumnTypeEnum.DateTime:
    case ColumnTypeEnum.Date:
      return new Date(value as string | number);
    default:
      return value;
  }
}
