// The one error model. Domain functions throw these; the GraphQL layer turns them into
// typed members of each mutation's result union. Anything else is an unexpected failure
// and reaches clients only as a masked top-level error.

export const ERROR_CODES = [
  "NOT_FOUND",
  "FORBIDDEN",
  "VALIDATION_FAILED",
  "CONFLICT",
  "INCOMPATIBLE_SERVER",
  "TEMPLATE_OBSOLETE",
  "BAD_IMAGE_FILE",
  "QUOTA_EXCEEDED",
  "INTEGRITY",
  "STORAGE_FULL",
  "IO_ERROR",
  "UNAVAILABLE",
  "MACHINE_FAILED",
  "HOST_UNAVAILABLE",
  "INTERRUPTED",
  "CANCELLED",
  "INTERNAL",
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export abstract class DomainError extends Error {
  abstract readonly code: ErrorCode;
}

export class NotFoundError extends DomainError {
  readonly code = "NOT_FOUND" as const;
  readonly resource: string;
  readonly id: string;
  /** The input field that named it, when there is one. */
  readonly field: string | null;
  constructor(
    resource: string,
    id: string,
    field: string | null = null,
  ) {
    // Never the ID: a row ID is internal, and another account's object must read as a missing one.
    super(field ? `${resource} not found: no ${resource} has the ID given in ${field}` : `${resource} not found`);
    this.resource = resource;
    this.id = id;
    this.field = field;
    this.name = "NotFoundError";
  }
}

export interface FieldProblem {
  /** Path of the input field, e.g. "hostname" or "volumes[1].capacityGb". */
  field: string;
  message: string;
}

export class ValidationError extends DomainError {
  readonly code = "VALIDATION_FAILED" as const;
  readonly fields: FieldProblem[];
  constructor(fields: FieldProblem[]) {
    super(fields.map((f) => `${f.field}: ${f.message}`).join("; "));
    this.fields = fields;
    this.name = "ValidationError";
  }

  static field(field: string, message: string): ValidationError {
    return new ValidationError([{ field, message }]);
  }
}

export class ConflictError extends DomainError {
  readonly code = "CONFLICT" as const;
  /** The state that stands in the way, e.g. "HALTED" or "operation op_… RUNNING". */
  readonly state: string;
  constructor(
    message: string,
    state: string,
  ) {
    super(message);
    this.state = state;
    this.name = "ConflictError";
  }
}

/**
 * A template and a server that do not go together (a standard template and bare metal, a Flex
 * image and an operating system that is not Flex-capable), with what would work.
 */
export class IncompatibleServerError extends DomainError {
  readonly code = "INCOMPATIBLE_SERVER" as const;
  readonly serverKind: string;
  /** The kind of template that would do, when one would. */
  readonly compatibleTemplateKind: string | null;
  /** The operating systems that would do, when the server's is what stands in the way. */
  readonly compatibleOperatingSystems: string[];
  constructor(
    message: string,
    serverKind: string,
    compatible: { templateKind?: string | null; operatingSystems?: string[] } = {},
  ) {
    super(message);
    this.serverKind = serverKind;
    this.compatibleTemplateKind = compatible.templateKind ?? null;
    this.compatibleOperatingSystems = compatible.operatingSystems ?? [];
    this.name = "IncompatibleServerError";
  }
}

/** An OBSOLETE template refuses new deploys and reloads; the message names its replacement. */
export class ObsoleteTemplateError extends DomainError {
  readonly code = "TEMPLATE_OBSOLETE" as const;
  /** The template to use instead, when its owner named one. */
  readonly replacementId: string | null;
  constructor(template: { name: string }, replacement: { id: string; name: string } | null) {
    super(`image template "${template.name}" is OBSOLETE and no longer deploys; ${replacement ? `use "${replacement.name}" instead` : "it names no replacement"}`);
    this.replacementId = replacement?.id ?? null;
    this.name = "ObsoleteTemplateError";
  }
}

/** An uploaded file cannot be imported: not of its format, a newer version, damaged; the message says which. */
export class BadImageFileError extends DomainError {
  readonly code = "BAD_IMAGE_FILE" as const;
  constructor(message: string) {
    super(message);
    this.name = "BadImageFileError";
  }
}

/** Stored data is missing or does not match its checksum. */
export class IntegrityError extends DomainError {
  readonly code = "INTEGRITY" as const;
  /** The chunks found missing or damaged, when the failure is theirs. */
  readonly chunks: string[];
  constructor(
    message: string,
    chunks: string[] = [],
  ) {
    super(message);
    this.chunks = chunks;
    this.name = "IntegrityError";
  }
}

/** A per-account quota would be exceeded. */
export class QuotaExceededError extends DomainError {
  readonly code = "QUOTA_EXCEEDED" as const;
  /** servers, templates, storedBytes or concurrentOperations. */
  readonly quota: string;
  readonly limit: number;
  readonly used: number;
  constructor(
    quota: string,
    limit: number,
    used: number,
  ) {
    super(`quota ${quota} exceeded: the account uses ${used} of ${limit}`);
    this.quota = quota;
    this.limit = limit;
    this.used = used;
    this.name = "QuotaExceededError";
  }
}

/** A store ran out of space (ENOSPC, a full database). */
export class StorageFullError extends DomainError {
  readonly code = "STORAGE_FULL" as const;
  constructor(message: string) {
    super(message);
    this.name = "StorageFullError";
  }
}

/** A volume or the image store failed to read or write (EIO and the like). */
export class StorageIoError extends DomainError {
  readonly code = "IO_ERROR" as const;
  constructor(message: string) {
    super(message);
    this.name = "StorageIoError";
  }
}

/** The service cannot take the request now (the database stayed busy); retrying may work. */
export class UnavailableError extends DomainError {
  readonly code = "UNAVAILABLE" as const;
  constructor(message: string) {
    super(message);
    this.name = "UnavailableError";
  }
}

/** The token's role does not allow the action (see accounts/roles.ts). */
export class ForbiddenError extends DomainError {
  readonly code = "FORBIDDEN" as const;
  readonly requiredRole: string;
  constructor(requiredRole: string) {
    super(`this token's role does not allow it: it needs ${requiredRole}`);
    this.requiredRole = requiredRole;
    this.name = "ForbiddenError";
  }
}

/** A server's machine would not start or stop (the hypervisor failed, not the request). */
export class MachineError extends DomainError {
  readonly code = "MACHINE_FAILED" as const;
  constructor(message: string) {
    super(message);
    this.name = "MachineError";
  }
}

/** The compute host that runs the server's machine is gone (it stopped beating); nothing that needs the machine can run until it is back. */
export class HostUnavailableError extends DomainError {
  readonly code = "HOST_UNAVAILABLE" as const;
  readonly host: string;
  /** Its last heartbeat; null when it never registered. */
  readonly lastSeenAt: Date | null;
  constructor(host: string, lastSeenAt: Date | null) {
    super(
      `the compute host ${host} that runs this server's machine is unavailable` +
        (lastSeenAt ? ` (last seen ${lastSeenAt.toISOString()})` : " (it never registered)") +
        "; try again once it is back",
    );
    this.host = host;
    this.lastSeenAt = lastSeenAt;
    this.name = "HostUnavailableError";
  }
}

/** Collects per-field problems so one answer names every bad field. */
export class FieldProblems {
  readonly list: FieldProblem[] = [];
  add(field: string, message: string): void {
    this.list.push({ field, message });
  }
  throwIfAny(): void {
    if (this.list.length > 0) throw new ValidationError(this.list);
  }
}
