// Builds the executable schema from the type files (one file per type family).
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from "graphql";
import { builder } from "./builder.js";
import "./types/scalars.js";
import "./types/enums.js";
import "./types/errors.js";
import "./types/operation.js";
import "./types/operation-fields.js";
import "./types/server.js";
import "./types/catalog.js";
import "./types/api-token.js";
import "./types/viewer.js";
import "./types/audit.js";
import "./types/image-template.js";
import "./types/deployment.js";

let schema: GraphQLSchema | undefined;

export function getSchema(): GraphQLSchema {
  schema ??= builder.toSchema();
  return schema;
}

/** The SDL committed as schema.graphql: printed and sorted. */
export function printSortedSchema(): string {
  return printSchema(lexicographicSortSchema(getSchema()));
}
