// Prisma CLI configuration. The CLI runs through the better-sqlite3 driver adapter so it
// uses the WebAssembly schema engine shipped in the npm package (no binary download):
// see ../shared/STACK-NOTES.md and docs/decisions/prisma-and-migrations.md.
import { mkdirSync } from "node:fs";
import path from "node:path";
import { defineConfig } from "prisma/config";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";

const dataDir = process.env.IMPRINT_DATA_DIR ?? "./data";
const url = process.env.DATABASE_URL ?? `file:${path.join(dataDir, "imprint.db")}`;
// schema.prisma reads env("DATABASE_URL"); without it the CLI cannot parse the generator
// block and falls back to downloading a query engine.
process.env.DATABASE_URL = url;

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: path.join("prisma", "schema.prisma"),
  migrations: { path: path.join("prisma", "migrations") },
  adapter: async () => {
    // On a fresh clone ./data does not exist yet, and SQLite cannot create the file.
    mkdirSync(path.dirname(url.replace(/^file:/, "")), { recursive: true });
    return new PrismaBetterSQLite3({ url });
  },
});
