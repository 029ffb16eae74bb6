// Typed errors: every mutation's result union lists the ones it can return.
import {
  ConflictError,
  ForbiddenError,
  ERROR_CODES,
  HostUnavailableError,
  IncompatibleServerError,
  NotFoundError,
  QuotaExceededError,
  ValidationError,
  type ErrorCode,
  type ImageTemplateKind,
} from "../../domain/kernel/index.ts";
import { builder } from "../builder.ts";
import { ImageTemplateKindEnum } from "./enums.ts";

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
  description: "A template and a server that do not go together: standard templates and bare metal, Flex images and an operating system that is not Flex-capable. Says what would do.",
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof IncompatibleServerError,
  fields: (t) => ({
    serverKind: t.exposeString("serverKind"),
    compatibleTemplateKind: t.field({
      type: ImageTemplateKindEnum,
      nullable: true,
      description: "The kind of template that would do, when one would.",
      resolve: (error) => error.compatibleTemplateKind as ImageTemplateKind | null,
    }),
    compatibleOperatingSystems: t.stringList({
      description: "Operating systems that would do (codes), when the server's is what stands in the way; else empty.",
      resolve: (error) => error.compatibleOperatingSystems,
    }),
  }),
});

builder.objectType(QuotaExceededError, {
  name: "QuotaExceededError",
  description: "The account would go over one of its quotas.",
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof QuotaExceededError,
  fields: (t) => ({
    quota: t.exposeString("quota", { description: "servers, templates, storedBytes or concurrentOperations." }),
    limit: t.field({ type: "ByteCount", resolve: (error) => error.limit }),
    used: t.field({ type: "ByteCount", resolve: (error) => error.used }),
  }),
});

builder.objectType(ForbiddenError, {
  name: "ForbiddenError",
  description: "The token's role does not allow this: VIEWER reads, OPERATOR also changes servers and templates, ADMIN also manages tokens.",
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof ForbiddenError,
  fields: (t) => ({
    requiredRole: t.exposeString("requiredRole", { description: "The role it needs." }),
  }),
});

builder.objectType(HostUnavailableError, {
  name: "HostUnavailableError",
  description: "The compute host that runs the server's machine (QEMU) has stopped answering: nothing that needs the machine runs until it is back.",
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof HostUnavailableError,
  fields: (t) => ({
    host: t.exposeString("host", { description: "The compute host's name (Server.host)." }),
    lastSeenAt: t.expose("lastSeenAt", { type: "DateTime", nullable: true, description: "Its last heartbeat; null when it never registered." }),
  }),
});

export const MUTATION_ERRORS = [ValidationError, NotFoundError, ConflictError, ForbiddenError];
/** Mutations that start an operation (or create something) are also bound by quotas. */
export const OPERATION_ERRORS = [...MUTATION_ERRORS, QuotaExceededError];
/** Operations on an existing server's machine also wait for its compute host. */
export const MACHINE_OPERATION_ERRORS = [...OPERATION_ERRORS, HostUnavailableError];
