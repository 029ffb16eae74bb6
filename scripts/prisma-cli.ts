// Runs the Prisma CLI for one provider: prisma.config.ts picks the schema folder and the
// driver adapter from DATABASE_URL, so each provider gets a URL of its kind. `generate`
// connects to neither; a diff of two schema folders opens the PostgreSQL adapter, so it needs
// a server that answers (scripts/postgresql-admin.ts), and writes nothing there.
import { execFileSync } from "node:child_process";
import type { Provider } from "../src/db/provider.ts";
import { postgresqlAdminUrl } from "./postgresql-admin.ts";

const CLI_URL: Record<Provider, () => string> = {
  sqlite: () => "file:./data/imprint.db",
  postgresql: () => postgresqlAdminUrl(),
};

/** The CLI's standard output; its standard error goes to ours. */
export function prismaCli(provider: Provider, args: string[]): string {
  return execFileSync("prisma", args, {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, DATABASE_URL: CLI_URL[provider]() },
  });
}
