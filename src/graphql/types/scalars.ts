import { GraphQLError, Kind } from "graphql";
import { builder } from "../builder.ts";

builder.scalarType("DateTime", {
  description: "An ISO-8601 timestamp in UTC, e.g. 2026-11-23T10:15:00.000Z.",
  serialize: (value) => (value instanceof Date ? value.toISOString() : new Date(value).toISOString()),
  parseValue: (value) => {
    const date = new Date(String(value));
    if (Number.isNaN(date.getTime())) throw new GraphQLError("DateTime must be an ISO-8601 timestamp");
    return date;
  },
});

function byteCount(value: unknown): number {
  const n = typeof value === "bigint" ? Number(value) : Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new GraphQLError(`ByteCount must be a whole number from 0 to 2^53-1, got ${value}`);
  return n;
}

builder.scalarType("ByteCount", {
  description: "A count of bytes: a non-negative integer up to 2^53-1 (GraphQL Int stops at 2 GiB).",
  serialize: (value) => byteCount(value),
  parseValue: (value) => byteCount(value),
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.INT) throw new GraphQLError("ByteCount must be an integer literal");
    return byteCount(ast.value);
  },
});
