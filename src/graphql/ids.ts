// Global IDs in inputs: decoded here, so a malformed or wrong-type ID is a
// ValidationError naming the field instead of an opaque failure.
import { decodeGlobalID } from "@pothos/plugin-relay";
import { ValidationError } from "../domain/kernel/index.ts";

export function parseGlobalId(value: string, typename: string, field: string): string {
  let decoded: { typename: string; id: string };
  try {
    decoded = decodeGlobalID(value);
  } catch {
    throw ValidationError.field(field, `"${value}" is not a valid ID`);
  }
  if (decoded.typename !== typename || !decoded.id) {
    throw ValidationError.field(field, `"${value}" is not the ID of a ${typename}`);
  }
  return decoded.id;
}
