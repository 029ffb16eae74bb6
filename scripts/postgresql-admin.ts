// The PostgreSQL server the developer tools use (the test suite's databases, the Prisma CLI's
// diffs): libpq's own variables, defaulting to the project machines' server (127.0.0.1:5432,
// trust). Its `postgres` database is only connected to, never written.

export function postgresqlAdminUrl(database = "postgres"): string {
  const user = process.env.PGUSER ?? "postgres";
  const host = process.env.PGHOST ?? "127.0.0.1";
  const port = process.env.PGPORT ?? "5432";
  const password = process.env.PGPASSWORD ? `:${encodeURIComponent(process.env.PGPASSWORD)}` : "";
  return `postgresql://${encodeURIComponent(user)}${password}@${host}:${port}/${database}`;
}
