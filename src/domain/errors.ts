// The one error model. Domain functions throw these; the GraphQL layer turns them into
// typed members of each mutation's result union. Anything else is an unexpected failure
// and reaches clients only as a masked top-level error.

export type ErrorCode =
  | "NOT_FOUND"
  | "VALIDATION_FAILED"
  | "CONFLICT"
  | "INCOMPATIBLE_SERVER"
  | "INTEGRITY"
  | "INTERRUPTED"
  | "CANCELLED"
  | "INTERNAL";

export abstract class DomainError extends Error {
  abstract readonly code: ErrorCode;
}

export class NotFoundError extends DomainError {
  readonly code = "NOT_FOUND" as const;
  constructor(
    readonly resource: string,
    readonly id: string,
    /** The input field that named it, when there is one. */
    readonly field: string | null = null,
  ) {
    super(`${resource} ${id} was not found`);
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
  constructor(readonly fields: FieldProblem[]) {
    super(fields.map((f) => `${f.field}: ${f.message}`).join("; "));
    this.name = "ValidationError";
  }

  static field(field: string, message: string): ValidationError {
    return new ValidationError([{ field, message }]);
  }
}

export class ConflictError extends DomainError {
  readonly code = "CONFLICT" as const;
  constructor(
    message: string,
    /** The state that stands in the way, e.g. "HALTED" or "operation op_… RUNNING". */
    readonly state: string,
  ) {
    super(message);
    this.name = "ConflictError";
  }
}

export class IncompatibleServerError extends DomainError {
  readonly code = "INCOMPATIBLE_SERVER" as const;
  constructor(
    message: string,
    readonly serverKind: string,
  ) {
    super(message);
    this.name = "IncompatibleServerError";
  }
}

/** Stored data does not match its checksum. */
export class IntegrityError extends DomainError {
  readonly code = "INTEGRITY" as const;
  constructor(message: string) {
    super(message);
    this.name = "IntegrityError";
  }
}

/** Thrown inside a pipeline when its operation was cancelled. */
export class CancelledError extends DomainError {
  readonly code = "CANCELLED" as const;
  constructor(message = "the operation was cancelled") {
    super(message);
    this.name = "CancelledError";
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
