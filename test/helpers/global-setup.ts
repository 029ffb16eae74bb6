// Vitest's global setup: names this run, so that its PostgreSQL databases (helpers/database.ts)
// are its own, and drops them at the end.
import { randomBytes } from "node:crypto";

export default async function setup(): Promise<() => Promise<void>> {
  process.env.TEST_DATABASE_RUN ??= randomBytes(4).toString("hex");
  return async () => {
    const { dropRunDatabases } = await import("./database.ts");
    dropRunDatabases();
  };
}
