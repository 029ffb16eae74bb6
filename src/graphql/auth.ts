// Bearer tokens, from an HTTP header or from graphql-ws connectionParams.
import { GraphQLError } from "graphql";

export function bearerToken(value: unknown): string | null {
  if (typeof value !== "string") return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(value.trim());
  return match ? match[1] : null;
}

/** What a graphql-ws client sent: { authorization } or { headers: { Authorization } }. */
export function tokenFromConnectionParams(params: Record<string, unknown> | undefined): string | null {
  if (!params) return null;
  const headers = (params.headers ?? {}) as Record<string, unknown>;
  return bearerToken(params.authorization ?? params.Authorization ?? headers.authorization ?? headers.Authorization);
}

export function unauthenticated(): GraphQLError {
  return new GraphQLError("Authentication required: send Authorization: Bearer <token>", {
    extensions: { code: "UNAUTHENTICATED", http: { status: 401, headers: { "WWW-Authenticate": 'Bearer realm="imprint"' } } },
  });
}
