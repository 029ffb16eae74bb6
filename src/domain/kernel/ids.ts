import { randomBytes } from "node:crypto";

/**
 * Time-ordered identifiers: 12 hex digits of milliseconds, then 10 random hex digits,
 * with a type prefix. Ordering by id is ordering by creation, which keyset pagination uses.
 */
export function newId(prefix: string): string {
  const time = Date.now().toString(16).padStart(12, "0");
  return `${prefix}_${time}${randomBytes(5).toString("hex")}`;
}
