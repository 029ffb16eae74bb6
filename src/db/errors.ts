// What a database error means, for the layers above: the one place that reads a database's
// own error codes (SQLite's result codes through Prisma's driver adapter, Prisma's P-codes).
// The domain asks what happened (`databaseFault`, `isUniqueViolation`), never which engine said it.

/** The database's own result code behind a Prisma error (through the driver adapter), if any. */
function engineCodeOf(error: unknown): string | undefined {
  const cause = (error as { meta?: { driverAdapterError?: { cause?: { originalCode?: unknown } } } })?.meta?.driverAdapterError?.cause;
  const code = cause?.originalCode ?? (error as { code?: unknown })?.code;
  return typeof code === "string" ? code : undefined;
}

const messageOf = (error: unknown) => String((error as Error)?.message ?? error);

/**
 * A failure of the database underneath: `full` (no space for its files), `busy` (another
 * process held it past the busy timeout), or null when the error is not one of those.
 */
export function databaseFault(error: unknown): "full" | "busy" | null {
  const code = engineCodeOf(error);
  if (code === "SQLITE_FULL" || /database or disk is full/.test(messageOf(error))) return "full";
  if (code?.startsWith("SQLITE_BUSY") || /database is locked/.test(messageOf(error))) return "busy";
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
