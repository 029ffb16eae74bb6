// A read-only SQLite connection for the hot reads of raw-sql.ts, beside the one Prisma writes
// through. In WAL mode it sees every committed transaction and never an open one's writes,
// so it needs no lock shared with the writer (guarded-adapter.ts), and a page of servers
// does not wait behind a capture's transaction. Its statements are prepared once and kept:
// Prisma's adapter prepared every statement again on each call (8% of the read path's CPU,
// bench/findings.md), and converted every integer to a string and back.
import Database from "better-sqlite3";
import { LRUCache } from "lru-cache";
import type { Statement } from "./client.ts";

type Decoder = (value: unknown) => unknown;

interface Prepared {
  statement: Database.Statement;
  toObject: (row: unknown[]) => Record<string, unknown>;
}

const asIs: Decoder = (value) => value;
const toNumber: Decoder = (value) => (value === null ? null : Number(value));
const toBigInt: Decoder = (value) => (value === null ? null : BigInt(value as number | bigint | string));
const toBoolean: Decoder = (value) => (value === null ? null : value === 1 || value === 1n || value === "1" || value === "true" || value === true);
const digitAt = (text: string, i: number) => text.charCodeAt(i) - 48;
const twoDigits = (text: string, i: number) => digitAt(text, i) * 10 + digitAt(text, i + 1);
/** "YYYY-MM-DDTHH:MM:SS.mmm" and then "Z" or "+00:00": how the Prisma adapter writes a DateTime. */
const isPrismaTimestamp = (text: string) =>
  text.charCodeAt(10) === 84 /* T */ && text.charCodeAt(19) === 46 /* . */ &&
  ((text.length === 24 && text.charCodeAt(23) === 90) /* Z */ || (text.length === 29 && text.endsWith("+00:00")));

// Read by hand for the Prisma adapter's own format (half the time of Date's parser, and a
// page holds hundreds); SQLite's CURRENT_TIMESTAMP ("YYYY-MM-DD HH:MM:SS", UTC) and anything
// else go to Date's parser.
const toDate: Decoder = (value) => {
  if (value === null) return null;
  if (typeof value === "bigint" || typeof value === "number") return new Date(Number(value));
  const text = value as string;
  if (isPrismaTimestamp(text)) {
    const year = twoDigits(text, 0) * 100 + twoDigits(text, 2);
    const millis = digitAt(text, 20) * 100 + twoDigits(text, 21);
    return new Date(Date.UTC(year, twoDigits(text, 5) - 1, twoDigits(text, 8), twoDigits(text, 11), twoDigits(text, 14), twoDigits(text, 17), millis));
  }
  return new Date(text.charCodeAt(10) === 32 /* space */ ? `${text.slice(0, 10)}T${text.slice(11)}Z` : text);
};

const isBigIntColumn = (declaredType: string | null) => declaredType?.toUpperCase() === "BIGINT" || declaredType?.toUpperCase() === "INT8";

/**
 * The JavaScript type Prisma gives a column of this declared SQLite type (the adapter's own
 * mapping). `safeIntegers`: the statement reads integers as bigint (it has a BIGINT column).
 */
function decoderFor(declaredType: string | null, safeIntegers: boolean): Decoder {
  switch (declaredType?.toUpperCase()) {
    case "BIGINT":
    case "INT8":
      return toBigInt;
    case "INTEGER":
    case "INT":
    case "REAL":
    case "DOUBLE":
    case "FLOAT":
    case "NUMERIC":
      return safeIntegers ? toNumber : asIs;
    case "BOOLEAN":
      return toBoolean;
    case "DATETIME":
    case "TIMESTAMP":
    case "DATE":
      return toDate;
    case undefined:
      // An expression (COUNT(*), MAX(...)): a number when it fits, as Prisma's raw queries give.
      return (value) => (typeof value === "bigint" && Number.isSafeInteger(Number(value)) ? Number(value) : value);
    default:
      return asIs;
  }
}

/** What better-sqlite3 can bind, written as the Prisma adapter writes it. */
function bindable(value: unknown): unknown {
  if (typeof value === "boolean") return value ? 1 : 0;
  if (value instanceof Date) return value.toISOString().replace("Z", "+00:00");
  return value;
}

/**
 * A function turning a row (values in column order) into an object with the columns' names
 * and decoded values. Generated once per statement, as an object literal with fixed keys:
 * assigning 20 keys one by one to each of 200 rows a request was a tenth of the read path.
 */
function rowToObject(columns: Database.ColumnDefinition[], safeIntegers: boolean): (row: unknown[]) => Record<string, unknown> {
  const decoders = columns.map((column) => decoderFor(column.type, safeIntegers));
  const fields = columns.map((column, i) => `${JSON.stringify(column.name)}: ${decoders[i] === asIs ? `row[${i}]` : `decoders[${i}](row[${i}])`}`);
  return new Function("decoders", `return (row) => ({ ${fields.join(", ")} });`)(decoders);
}

export class SqliteReader {
  private readonly db: Database.Database;
  private readonly statements = new LRUCache<string, Prepared>({ max: 256 });

  constructor(file: string, busyTimeoutMs: number) {
    this.db = new Database(file, { readonly: true, fileMustExist: true, timeout: busyTimeoutMs });
  }

  all({ sql: sqlText, values }: Statement): Array<Record<string, unknown>> {
    const { statement, toObject } = this.prepared(sqlText);
    const rows = statement.all(...values.map(bindable)) as unknown[][];
    return rows.map(toObject);
  }

  close(): void {
    this.db.close();
  }

  private prepared(sqlText: string): Prepared {
    let prepared = this.statements.get(sqlText);
    if (!prepared) {
      const statement = this.db.prepare(sqlText).raw(true);
      const columns = statement.columns();
      // Integers as bigint only where a BIGINT column needs every digit: making a bigint of
      // every integer and a number of it again cost more than the query's own work.
      const safeIntegers = columns.some((column) => isBigIntColumn(column.type));
      statement.safeIntegers(safeIntegers);
      prepared = { statement, toObject: rowToObject(columns, safeIntegers) };
      this.statements.set(sqlText, prepared);
    }
    return prepared;
  }
}
