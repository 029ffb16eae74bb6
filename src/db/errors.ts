// What a database error means, for the layers above: the one place that reads a database's
// own error codes (SQLite's result codes and PostgreSQL's SQLSTATEs, through Prisma's driver
// adapters or from pg itself, and Prisma's P-codes).
// The domain asks what happened (`databaseFault`, `isUniqueViolation`), never which engine said it.

/**
 * The database's own result code behind an error: inside Prisma's error (meta), on the driver
 * adapter's own error (cause) when Prisma passes that on, or on pg's error itself.
 */
function engineCodeOf(error: unknown): string | undefined {
  const wrapped = (error as { meta?: { driverAdapterError?: { cause?: { originalCode?: unknown } } } })?.meta?.driverAdapterError?.cause;
  const direct = (error as { name?: unknown; cause?: { originalCode?: unknown } })?.name === "DriverAdapterError" ? (error as { cause?: { originalCode?: unknown } }).cause : undefined;
  const code = wrapped?.originalCode ?? direct?.originalCode ?? (error as { code?: unknown })?.code;
  return typeof code === "string" ? code : undefined;
}

const messageOf = (error: unknown) => String((error as Error)?.message ?? error);

// PostgreSQL's SQLSTATEs: disk_full, out_of_memory-ish "insufficient resources" class 53;
// lock_not_available (lock_timeout), deadlock_detected.
const POSTGRESQL_FULL = new Set(["53100"]);
const POSTGRESQL_BUSY = new Set(["55P03", "40P01"]);

/**
 * A failure of the database underneath: `full` (no space for its files), `busy` (another
 * connection held what it needed past the busy timeout), or null when the error is not one of those.
 */
export function databaseFault(error: unknown): "full" | "busy" | null {
  const code = engineCodeOf(error);
  if (code === "SQLITE_FULL" || POSTGRESQL_FULL.has(code ?? "") || /database or disk is full/.test(messageOf(error))) return "full";
  if (code?.startsWith("SQLITE_BUSY") || POSTGRESQL_BUSY.has(code ?? "") || /database is locked/.test(messageOf(error))) return "busy";
  return null;
}

/**
 * A transaction that lost to a concurrent one and may simply run again: PostgreSQL's
 * serialization_failure (40001, Prisma's P2034 "write conflict or deadlock").
 */
export function isSerializationFailure(error: unknown): boolean {
  return (error as { code?: unknown })?.code === "P2034" || engineCodeOf(error) === "40001";
}

/** Why a PostgreSQL server cannot be used at start, or null: from pg itself (the migrator) or through Prisma's adapter. */
export function databaseServerProblem(error: unknown): string | null {
  const code = engineCodeOf(error);
  const kind = (error as { meta?: { driverAdapterError?: { cause?: { kind?: unknown } } } })?.meta?.driverAdapterError?.cause?.kind;
  if (code === "ECONNREFUSED" || code === "ENOTFOUND" || kind === "DatabaseNotReachable") return "does not answer (is it running, and is the host right?)";
  if (code === "3D000" || kind === "DatabaseDoesNotExist") return "has no such database (create it first: createdb <name>)";
  if (code === "28P01" || code === "28000" || kind === "AuthenticationFailed" || kind === "DatabaseAccessDenied") return "refused the user or password";
  return null;
}

/** A write refused by a unique index (Prisma's P2002). */
export function isUniqueViolation(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === "P2002";
}

/** Why a database file cannot be used at start, or null: not a database, cannot be opened, or corrupt. */
export function databaseFileProblem(error: unknown): "not a database" | "cannot be opened" | "corrupt" | null {
  const code = engineCodeOf(error);
  const message = messageOf(error);
  if (code === "SQLITE_NOTADB" || /file is not a database/.test(message)) return "not a database";
  if (code === "SQLITE_CANTOPEN" || /unable to open database file/.test(message)) return "cannot be opened";
  if (code === "SQLITE_CORRUPT" || /malformed/.test(message)) return "corrupt";
  return null;
}
