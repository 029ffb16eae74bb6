// npm run db:generate (and postinstall): the Prisma client of each provider, into
// src/db/generated/<provider> (generated, never committed).
import { PROVIDERS } from "../src/db/provider.ts";
import { prismaCli } from "./prisma-cli.ts";

for (const provider of PROVIDERS) process.stdout.write(prismaCli(provider, ["generate"]));
