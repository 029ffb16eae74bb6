// Typed errors: every mutation's result union lists the ones it can return.
import {
  ConflictError,
  IncompatibleServerError,
  NotFoundError,
  ValidationError,
  type ErrorCode,
} from "../../domain/errors.js";
import { builder } from "../builder.js";

const ERROR_CODES: ErrorCode[] = ["NOT_FOUND", "VALIDATION_FAILED", "CONFLICT", "INCOMPATIBLE_SERVER", "INTEGRITY", "INTERRUPTED", "CANCELLED", "INTERNAL"];
export const ErrorCodeEnum = builder.enumType("ErrorCode", { values: ERROR_CODES });

export const ErrorInterface = builder.interfaceRef<{ message: string; code: ErrorCode }>("Error").implement({
  fields: (t) => ({
    message: t.exposeString("message"),
    code: t.expose("code", { type: ErrorCodeEnum }),
  }),
});

builder.objectType(NotFoundError, {
  name: "NotFoundError",
  description: "The object does not exist, or belongs to another account.",
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof NotFoundError,
  fields: (t) => ({
    field: t.exposeString("field", { nullable: true, description: "The input field that named the object." }),
  }),
});

const FieldProblemRef = builder.objectRef<{ field: string; message: string }>("FieldError").implement({
  description: "One problem with one input field.",
  fields: (t) => ({
    field: t.exposeString("field", { description: 'Path of the field inside `input`, e.g. "volumes[1].capacityGb".' }),
    message: t.exposeString("message"),
  }),
});

builder.objectType(ValidationError, {
  name: "ValidationError",
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof ValidationError,
  fields: (t) => ({
    fields: t.field({ type: [FieldProblemRef], resolve: (error) => error.fields }),
  }),
});

builder.objectType(ConflictError, {
  name: "ConflictError",
  description: "The request conflicts with the current state of an object.",
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof ConflictError,
  fields: (t) => ({
    state: t.exposeString("state", { description: 'The state in the way, e.g. "HALTED" or "OPERATION_IN_FLIGHT".' }),
  }),
});

builder.objectType(IncompatibleServerError, {
  name: "IncompatibleServerError",
  description: "Standard image templates do not go to or come from bare metal servers.",
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof IncompatibleServerError,
  fields: (t) => ({
    serverKind: t.exposeString("serverKind"),
  }),
});

export const MUTATION_ERRORS = [ValidationError, NotFoundError, ConflictError];
