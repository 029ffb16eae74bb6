// The Prisma client types and helpers the layers above use. Both providers' clients are
// generated from the one models file (prisma/models.prisma), so the SQLite client's types
// are the PostgreSQL client's too; the PostgreSQL client is made in client.ts and typed as
// this one (test/schema-drift.test.ts holds the two databases' tables equal to the models).
export { Prisma, PrismaClient } from "./generated/sqlite/client.ts";
export * as Enums from "./generated/sqlite/enums.ts";
