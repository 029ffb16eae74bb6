// Idempotency keys, as cloud APIs have them (AWS's ClientToken): a mutation sent again with the
// same key answers the first request's result instead of doing the work twice, also when the
// two arrive at the same moment; the same key with other input is refused
// (AWS: IdempotentParameterMismatch). A key belongs to the operation the first request queued
// (unique per account and operation kind), so it is written in that operation's transaction.
import { createHash } from "node:crypto";
import { ConflictError, type FieldProblems, type OperationKind } from "../kernel/index.ts";

const KEY_MAX = 200;

/** A key and a fingerprint of the input it came with. */
export interface IdempotencyRequest {
  key: string;
  fingerprint: string;
}

/** The field `idempotencyKey` of a mutation's input: absent, or 1 to 200 characters. */
export function checkIdempotencyKey(problems: FieldProblems, key: string | null | undefined): void {
  if (key != null && (key.length === 0 || key.length > KEY_MAX)) problems.add("idempotencyKey", `must be 1 to ${KEY_MAX} characters`);
}

/**
 * The request a key makes of `input` (the mutation's whole input; the key itself, and fields
 * left out or null, do not count), or null without a key.
 */
export function idempotencyRequest<Input extends { idempotencyKey?: string | null }>(input: Input): IdempotencyRequest | null {
  const { idempotencyKey: key, ...rest } = input;
  if (!key) return null;
  return { key, fingerprint: createHash("sha256").update(canonicalJson(rest)).digest("hex") };
}

/** JSON with object keys in order and null or undefined fields left out, so equal inputs print alike. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const fields = Object.entries(value as Record<string, unknown>)
      .filter(([, field]) => field !== undefined && field !== null)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${fields.map(([name, field]) => `${JSON.stringify(name)}:${canonicalJson(field)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** Whether an earlier request with the key asked for the same (a key kept without its input matches any). */
export function sameRequest(request: IdempotencyRequest, earlierFingerprint: string | null): boolean {
  return earlierFingerprint === null || earlierFingerprint === request.fingerprint;
}

export function idempotencyMismatch(kind: OperationKind, key: string): ConflictError {
  return new ConflictError(
    `idempotencyKey "${key}" was sent before with other input (operation ${kind}); send the same input to get that result again, or a new key`,
    "IDEMPOTENT_PARAMETER_MISMATCH",
  );
}

/** The key's earlier result is gone (the template or server it made was deleted). */
export function idempotencyKeySpent(kind: OperationKind, key: string, what: string): ConflictError {
  return new ConflictError(`idempotencyKey "${key}" was used by a ${kind} whose ${what} has been deleted since; send a new key`, "IDEMPOTENCY_KEY_USED");
}
