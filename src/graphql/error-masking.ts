// Top-level GraphQL errors: domain errors raised outside a mutation's result union (a bad
// cursor, a subscription to an unknown operation) keep their message and code; anything
// unexpected is masked.
import { GraphQLError } from "graphql";
import { maskError as yogaMaskError, type YogaServerOptions } from "graphql-yoga";
import { DomainError, NotFoundError, ValidationError } from "../domain/errors.js";

type MaskError = NonNullable<Exclude<YogaServerOptions<object, object>["maskedErrors"], boolean | undefined>["maskError"]>;

export const maskError: MaskError = (error, message, isDev) => {
  const original = error instanceof GraphQLError ? error.originalError : error;
  if (original instanceof DomainError) {
    const graphQLError = error as GraphQLError;
    return new GraphQLError(original.message, {
      nodes: graphQLError.nodes,
      path: graphQLError.path,
      extensions: {
        code: original.code,
        ...(original instanceof ValidationError ? { fields: original.fields } : {}),
        ...(original instanceof NotFoundError && original.field ? { field: original.field } : {}),
      },
    });
  }
  return yogaMaskError(error, message, isDev);
};
