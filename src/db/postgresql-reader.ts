// The hot reads of raw-sql.ts on PostgreSQL: the pool Prisma's adapter uses, with named
// prepared statements (parsed and planned once per connection, as sqlite-reader.ts keeps
// SQLite's) and rows decoded into what Prisma's models type them as: DateTime as Date (the
// columns are `timestamp(3)` holding UTC), BigInt as bigint, and an expression's integer
// (COUNT(*)) as a number when it fits, as SQLite's reader gives it.
import pg from "pg";
import type { Statement } from "./client.ts";

type Decoder = (text: string) => unknown;

const OID = { int8: 20, timestamp: 1114, timestamptz: 1184 } as const;

/** "YYYY-MM-DD HH:MM:SS[.fff]" of a timestamp without time zone, read as UTC. */
const utcTimestamp: Decoder = (text) => new Date(`${text.replace(" ", "T")}Z`);
const int8 = (text: string) => BigInt(text);

/** The statement text's prepared name (PostgreSQL keeps it per connection). */
const names = new Map<string, string>();
const nameOf = (sqlText: string) => {
  let name = names.get(sqlText);
  if (!name) names.set(sqlText, (name = `imprint_hot_${names.size + 1}`));
  return name;
};

const builtin = (oid: number): Decoder => pg.types.getTypeParser(oid, "text") as Decoder;

/** Parsers by type: pg's own for the rest, which gives text for enums and an unknown type. */
const types = {
  getTypeParser: (oid: number): Decoder => {
    if (oid === OID.timestamp) return utcTimestamp;
    if (oid === OID.timestamptz) return (text) => new Date(text);
    if (oid === OID.int8) return int8;
    return builtin(oid);
  },
};

/** A bigint of an expression (no table behind it) is a number when it fits. */
function expressionNumber(value: unknown): unknown {
  return typeof value === "bigint" && Number.isSafeInteger(Number(value)) ? Number(value) : value;
}

/** What pg binds as Prisma's adapter writes it: timestamps as UTC text, bigints as text. */
function bindable(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "bigint") return value.toString();
  return value;
}

type RowToObject = (row: unknown[]) => Record<string, unknown>;

/** An object literal with fixed keys per statement (sqlite-reader.ts says why). */
function rowToObject(fields: pg.FieldDef[]): RowToObject {
  const parts = fields.map((field, i) =>
    `${JSON.stringify(field.name)}: ${field.dataTypeID === OID.int8 && field.tableID === 0 ? `expression(row[${i}])` : `row[${i}]`}`,
  );
  return new Function("expression", `return (row) => ({ ${parts.join(", ")} });`)(expressionNumber);
}

export class PostgresqlReader {
  private readonly pool: pg.Pool;
  private readonly builders = new Map<string, RowToObject>();

  constructor(pool: pg.Pool) {
    this.pool = pool;
  }

  async all({ text, values }: Statement): Promise<Array<Record<string, unknown>>> {
    const result = await this.pool.query<unknown[]>({ name: nameOf(text), text, values: values.map(bindable), rowMode: "array", types });
    let toObject = this.builders.get(text);
    if (!toObject) this.builders.set(text, (toObject = rowToObject(result.fields)));
    return result.rows.map(toObject);
  }

  /** The pool is the client's: closeDb ends it. */
  close(): void {}
}
