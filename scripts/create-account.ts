// npm run account:create -- <name>: creates an account and prints its API token once.
// The way to get a token in production, where there is no demo account.
import { loadConfig } from "../src/config.ts";
import { closeDb, createDb } from "../src/db/client.ts";
import { applyMigrations } from "../src/db/migrate.ts";
import { Accounts } from "../src/domain/accounts/index.ts";
import { createEventBus } from "../src/domain/operations/index.ts";
import { systemClock, timeOrderedIds } from "../src/domain/kernel/index.ts";

const name = process.argv[2];
if (!name) {
  console.error("usage: npm run account:create -- <account name>");
  process.exit(2);
}
const config = loadConfig();
await applyMigrations(config.databaseUrl);
const db = await createDb(config.databaseUrl);
const accounts = new Accounts({ db, clock: systemClock, ids: timeOrderedIds(systemClock), events: createEventBus() });
const { token } = await accounts.create(name);
console.log(`account "${name}" created; its token (shown once): ${token}`);
await closeDb(db);
