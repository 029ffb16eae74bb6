import { randomBytes } from "node:crypto";
import type { Clock } from "./clock.ts";

/** Where new identifiers come from (a port: wired in app.ts). */
export interface IdSource {
  next(prefix: string): string;
}

/**
 * Time-ordered identifiers: 12 hex digits of milliseconds, then 10 random hex digits,
 * with a type prefix. Ordering by id is ordering by creation, which keyset pagination uses.
 */
export function timeOrderedIds(clock: Clock): IdSource {
  return { next: (prefix) => `${prefix}_${clock.millis().toString(16).padStart(12, "0")}${randomBytes(5).toString("hex")}` };
}
