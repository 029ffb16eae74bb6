// A read-only SQLite connection for the hot reads of raw-sql.ts, beside the one Prisma writes
// through. In WAL mode it sees every committed transaction and never an open one's writes,
// so it needs no lock shared with the writer (serialized-adapter.ts), and a page of servers
// does not wait behind a capture's transaction. Its statements are prepared once and kept:
// Prisma's adapter prepared every statement again on each call (8% of the read path's CPU,
// bench/findings.md), and converted every integer to a string and back.
import Database from "better-sqlite3";
import { LRUCache } from "lru-cache";

type Decoder = (value: unknown) => unknown;

interface Prepared {
  statement: Database.Statement;
  toObject: (row: unknown[]) => Record<string, unknown>;
}

const asIs: Decoder = (value) => value;
const toNumber: Decoder = (value) => (value === null ? null : Number(value));
const toBigInt: Decoder = (value) => (value === null ? null : BigInt(value as number | bigint | string));
const toBoolean: Decoder = (value) => (value === null ? null : value === 1 || value === 1n || value === "1" || value === "true" || value === true);
const SPACE = 32;
// Stored by the Prisma adapter as ISO text, or by SQLite's CURRENT_TIMESTAMP as "YYYY-MM-DD HH:MM:SS" (UTC).
const toDate: Decoder = (value) => {
  if (value === null) return null;
  if (typeof value === "bigint" || typeof value === "number") return new Date(Number(value));
  const text = value as string;
  return new Date(text.charCodeAt(10) === SPACE ? `${text.slice(0, 10)}T${text.slice(11)}Z` : text);
};

/** The JavaScript type Prisma gives a column of this declared SQLite type (the adapter's own mapping). */
function decoderFor(declaredType: string | null): Decoder {
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
      return toNumber;
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
function rowToObject(columns: Database.ColumnDefinition[]): (row: unknown[]) => Record<string, unknown> {
  const decoders = columns.map((column) => decoderFor(column.type));
  const fields = columns.map((column, i) => `${JSON.stringify(column.name)}: ${decoders[i] === asIs ? `row[${i}]` : `decoders[${i}](row[${i}])`}`);
  return new Function("decoders", `return (row) => ({ ${fields.join(", ")} });`)(decoders);
}

export class SqliteReader {
  private readonly db: Database.Database;
  private readonly statements = new LRUCache<string, Prepared>({ max: 256 });

  constructor(file: string, busyTimeoutMs: number) {
    this.db = new Database(file, { readonly: true, fileMustExist: true, timeout: busyTimeoutMs });
    // Integers as bigint, so a BIGINT column keeps every digit; decoders narrow the others.
    this.db.defaultSafeIntegers(true);
  }

  all(sqlText: string, values: readonly unknown[]): Array<Record<string, unknown>> {
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
      prepared = { statement, toObject: rowToObject(statement.columns()) };
      this.statements.set(sqlText, prepared);
    }
    return prepared;
  }
}
