// Top-level GraphQL errors: domain errors raised outside a mutation's result union (a bad
// cursor, a subscription to an unknown operation) keep their message and code; anything
// unexpected is masked.
import { GraphQLError } from "graphql";
import { maskError as yogaMaskError, type YogaServerOptions } from "graphql-yoga";
import { DomainError, NotFoundError, UnavailableError, ValidationError, faultOf } from "../domain/kernel/index.js";

type MaskError = NonNullable<Exclude<YogaServerOptions<object, object>["maskedErrors"], boolean | undefined>["maskError"]>;

/** The domain error behind a (possibly several times) wrapped execution error. */
export function domainErrorIn(error: unknown): DomainError | null {
  for (let current = error; current; current = (current as { originalError?: unknown }).originalError) {
    if (current instanceof DomainError) return current;
  }
  return null;
}

/** The domain error, or the typed fault (a full or busy database) the innermost error stands for. */
function typedErrorIn(error: unknown): DomainError | null {
  let innermost = error;
  for (let current = error; current; current = (current as { originalError?: unknown }).originalError) {
    if (current instanceof DomainError) return current;
    innermost = current;
  }
  return faultOf(innermost, "the request");
}

export const maskError: MaskError = (error, message, isDev) => {
  const original = typedErrorIn(error);
  if (original) {
    const located = error as Partial<GraphQLError>;
    return new GraphQLError(original.message, {
      nodes: located.nodes,
      path: located.path,
      extensions: {
        code: original.code,
        ...(original instanceof UnavailableError ? { http: { status: 503, headers: { "Retry-After": "1" } } } : {}),
        ...(original instanceof ValidationError ? { fields: original.fields } : {}),
        ...(original instanceof NotFoundError && original.field ? { field: original.field } : {}),
      },
    });
  }
  return yogaMaskError(error, message, isDev);
};
