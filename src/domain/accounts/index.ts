// Accounts: tokens, and the quotas every account works within.
export * from "./accounts.ts";
export * from "./quotas.ts";
export * from "./roles.ts";
export * from "./audit.ts";
