// The PostgreSQL server the developer tools use (the test suite's databases, the Prisma CLI's
// diffs): libpq's own variables, defaulting to the project machines' server (127.0.0.1:5432,
// trust). Its `postgres` database is only connected to, never written.
import { execFileSync } from "node:child_process";

export function postgresqlAdminUrl(database = "postgres"): string {
  const user = process.env.PGUSER ?? "postgres";
  const host = process.env.PGHOST ?? "127.0.0.1";
  const port = process.env.PGPORT ?? "5432";
  const password = process.env.PGPASSWORD ? `:${encodeURIComponent(process.env.PGPASSWORD)}` : "";
  return `postgresql://${encodeURIComponent(user)}${password}@${host}:${port}/${database}`;
}

function psql(command: string): void {
  execFileSync("psql", [postgresqlAdminUrl(), "-v", "ON_ERROR_STOP=1", "-q", "-c", command], { stdio: ["ignore", "ignore", "pipe"] });
}

/** Creates a database on that server and returns its URL. */
export function createPostgresqlDatabase(name: string): string {
  psql(`CREATE DATABASE "${name}"`);
  return postgresqlAdminUrl(name);
}

/** Drops a database of that server, ending the connections to it. */
export function dropPostgresqlDatabase(name: string): void {
  psql(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
}
