// What a failure of the machine underneath means to a user: a full disk, an I/O error, a
// missing file, a busy database or an unreachable image store become typed errors that name what failed (a store, a
// template's volume, a server's volume), never a file path of the server.
import { databaseFault } from "../../db/errors.ts";
import { storeFault } from "../../storage/store-errors.ts";
import { DomainError, StorageFullError, StorageIoError, UnavailableError } from "./errors.ts";

const ERRNO_WORDS: Record<string, string> = {
  ENOSPC: "no space left on device",
  EDQUOT: "disk quota exceeded",
  EIO: "input/output error",
  ENOENT: "the file is missing",
  EACCES: "permission denied",
  EROFS: "read-only file system",
};

function errnoOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown })?.code;
  return typeof code === "string" && /^E[A-Z]+$/.test(code) ? code : undefined;
}

/** A few words for a system error, without the path Node puts in its message. */
export function describeSystemError(error: unknown): string {
  const code = errnoOf(error);
  if (code) return ERRNO_WORDS[code] ?? code;
  return "unexpected error";
}

/**
 * The typed error for a failure while working on `what` (e.g. `image store "local"`,
 * `volume 1 of server web01.example.com`), or null when it is not a fault of the machine.
 */
export function faultOf(error: unknown, what: string): DomainError | null {
  if (error instanceof DomainError) return error;
  const database = databaseFault(error);
  if (database === "full") return new StorageFullError("the database is full (no space left on device)");
  if (database === "busy") return new UnavailableError("the database stayed busy past its timeout; try again");
  // The store's own message names it and says why (after its bounded retries).
  const store = storeFault(error);
  if (store === "unreachable") return new UnavailableError((error as Error).message);
  if (store === "refused") return new StorageIoError((error as Error).message);
  const code = errnoOf(error);
  if (code === "ENOSPC" || code === "EDQUOT") return new StorageFullError(`${what} is full (${ERRNO_WORDS[code]})`);
  if (code) return new StorageIoError(`${what} failed: ${ERRNO_WORDS[code] ?? code}`);
  return null;
}

/** Runs `work`, turning a machine fault into the typed error for `what`. */
export async function naming<T>(what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw faultOf(error, what) ?? error;
  }
}

/** For logs: the message, and the stack of an unexpected error. */
export function describeError(error: unknown): string {
  return String((error as Error)?.stack ?? error);
}
