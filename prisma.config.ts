// Prisma CLI configuration. The CLI runs through a driver adapter so it uses the WebAssembly
// schema engine shipped in the npm package (no binary download): see ../shared/STACK-NOTES.md
// and docs/decisions/prisma-and-migrations.md. DATABASE_URL picks the database, as it does
// for the server: a postgresql:// URL, or SQLite's file in the data folder.
import { mkdirSync } from "node:fs";
import path from "node:path";
import { defineConfig } from "prisma/config";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";

const dataDir = process.env.IMPRINT_DATA_DIR ?? "./data";
const url = process.env.DATABASE_URL ?? `file:${path.join(dataDir, "imprint.db")}`;
// The schemas read env("DATABASE_URL"); without it the CLI cannot parse the generator
// block and falls back to downloading a query engine.
process.env.DATABASE_URL = url;
const provider = /^postgres(ql)?:\/\//.test(url) ? "postgresql" : "sqlite";

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: path.join("prisma", provider),
  migrations: { path: path.join("prisma", provider, "migrations") },
  adapter: async () => {
    if (provider === "postgresql") return new PrismaPg({ connectionString: url });
    // On a fresh clone ./data does not exist yet, and SQLite cannot create the file.
    mkdirSync(path.dirname(url.replace(/^file:/, "")), { recursive: true });
    return new PrismaBetterSQLite3({ url });
  },
});
