// Builds the executable schema from the type files (one file per type family).
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from "graphql";
import { builder } from "./builder.ts";
import "./types/scalars.ts";
import "./types/enums.ts";
import "./types/errors.ts";
import "./types/operation.ts";
import "./types/operation-fields.ts";
import "./types/server.ts";
import "./types/catalog.ts";
import "./types/api-token.ts";
import "./types/viewer.ts";
import "./types/audit.ts";
import "./types/image-template.ts";
import "./types/deployment.ts";
import "./types/template-location.ts";
import "./types/template-retirement.ts";
import "./types/template-family.ts";
import "./types/template-sharing.ts";
import "./types/template-export.ts";
import "./types/template-import.ts";

let schema: GraphQLSchema | undefined;

export function getSchema(): GraphQLSchema {
  schema ??= builder.toSchema();
  return schema;
}

/** The SDL committed as schema.graphql: printed and sorted. */
export function printSortedSchema(): string {
  return printSchema(lexicographicSortSchema(getSchema()));
}
