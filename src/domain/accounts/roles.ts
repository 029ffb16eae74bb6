// What a token may do. VIEWER reads (queries and subscriptions); OPERATOR also changes
// servers and templates; ADMIN also manages tokens and the account.
import { Enums } from "../../db/prisma.ts";

export type Role = Enums.Role;
export const ROLES: readonly Role[] = Object.values(Enums.Role);

/** The scopes the schema declares (graphql/builder.ts), as a role grants them. */
export function scopesOf(role: Role): { viewer: boolean; operator: boolean; admin: boolean } {
  return { viewer: true, operator: role === "OPERATOR" || role === "ADMIN", admin: role === "ADMIN" };
}

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}
