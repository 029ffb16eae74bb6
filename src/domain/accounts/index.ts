// Accounts: tokens, and the quotas every account works within.
export * from "./accounts.js";
export * from "./quotas.js";
export * from "./roles.js";
export * from "./audit.js";
