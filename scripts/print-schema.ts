// Writes schema.graphql from the Pothos schema (npm run schema:print).
import { writeFileSync } from "node:fs";
import { printSortedSchema } from "../src/graphql/schema.ts";

writeFileSync(new URL("../schema.graphql", import.meta.url), `${printSortedSchema()}\n`);
console.log("schema.graphql written");
