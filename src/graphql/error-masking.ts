// Top-level GraphQL errors: domain errors raised outside a mutation's result union (a bad
// cursor, a subscription to an unknown operation) keep their message and code; anything
// unexpected is masked in every mode (unless IMPRINT_DEBUG_ERRORS), and the client gets a
// request ID that is also on the server's log line with the error's stack.
import { randomUUID } from "node:crypto";
import { GraphQLError, type ExecutionResult } from "graphql";
import type { Logger } from "../domain/deps.ts";
import { requestFactsOf } from "../ops/request-log.ts";
import { handleStreamOrSingleExecutionResult, type Plugin, type YogaServerOptions } from "graphql-yoga";
import { DomainError, NotFoundError, UnavailableError, ValidationError, faultOf } from "../domain/kernel/index.ts";

type MaskError = NonNullable<Exclude<YogaServerOptions<object, object>["maskedErrors"], boolean | undefined>["maskError"]>;

/** What a client is told of an error that is not one of the API's. */
export const UNEXPECTED_ERROR_MESSAGE = "Unexpected error.";

/** The domain error behind a (possibly several times) wrapped execution error. */
export function domainErrorIn(error: unknown): DomainError | null {
  for (let current = error; current; current = (current as { originalError?: unknown }).originalError) {
    if (current instanceof DomainError) return current;
  }
  return null;
}

/** The domain error, or the typed fault (a full or busy database) the innermost error stands for. */
function typedErrorIn(error: unknown): DomainError | null {
  return domainErrorIn(error) ?? faultOf(innermostError(error), "the request");
}

const REQUEST_ID = Symbol("requestId");

/** Marks an error with the ID of the request it belongs to, for the mask (which is given no context). */
export function markRequest(error: unknown, context: unknown): void {
  const requestId = requestFactsOf(context)?.requestId;
  if (requestId && typeof error === "object" && error !== null) (error as { [REQUEST_ID]?: string })[REQUEST_ID] = requestId;
}

/**
 * Marks the errors of every result with their request's ID. Yoga masks after its users'
 * plugins, so the marks are there when createMaskError runs.
 */
export function useRequestIdOnErrors(): Plugin {
  const markAll = (context: unknown) => ({ result }: { result: { errors?: readonly unknown[] } }) => {
    for (const error of result.errors ?? []) markRequest(error, context);
  };
  return {
    onExecute({ args }) {
      const mark = markAll(args.contextValue);
      return { onExecuteDone: (payload) => handleStreamOrSingleExecutionResult(payload, mark) };
    },
    onSubscribe({ args }) {
      const mark = markAll(args.contextValue);
      return {
        onSubscribeResult: (payload) => handleStreamOrSingleExecutionResult(payload, mark),
        onSubscribeError: ({ error }) => markRequest(error, args.contextValue),
      };
    },
  };
}

/**
 * A result as yoga masks it before writing it: each error marked with its request's ID, then
 * masked. For results that yoga's own masking does not see (a shared subscription's, masked
 * once for all its followers).
 */
export function maskResult(maskError: MaskError, result: ExecutionResult, context: unknown): ExecutionResult {
  if (!result.errors?.length) return result;
  for (const error of result.errors) markRequest(error, context);
  return { ...result, errors: result.errors.map((error) => maskError(error, UNEXPECTED_ERROR_MESSAGE) as GraphQLError) };
}

export function createMaskError(log: Logger, debug: boolean): MaskError {
  return (error, message) => {
    const typed = maskTyped(error);
    if (typed) return typed;
    if (error instanceof GraphQLError && !error.originalError) return error; // a request error yoga made (bad JSON, …)
    const requestId = (error as { [REQUEST_ID]?: string })[REQUEST_ID] ?? randomUUID();
    const inner = innermostError(error);
    log.error("unexpected error", { requestId, error: String((inner as Error)?.stack ?? inner) });
    return new GraphQLError(debug ? String((inner as Error)?.message ?? message) : message, {
      nodes: (error as Partial<GraphQLError>).nodes,
      path: (error as Partial<GraphQLError>).path,
      extensions: { code: "INTERNAL_SERVER_ERROR", requestId },
    });
  };
}

function innermostError(error: unknown): unknown {
  let innermost = error;
  for (let current = error; current; current = (current as { originalError?: unknown }).originalError) innermost = current;
  return innermost;
}

function maskTyped(error: unknown): GraphQLError | null {
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
  return null;
}
