// The enumerations of the domain. Stored as strings (portable across SQLite and
// PostgreSQL), checked here, exposed as GraphQL enums.

export const SERVER_KINDS = ["VIRTUAL", "BARE_METAL"] as const;
export type ServerKind = (typeof SERVER_KINDS)[number];

export const SERVER_STATUSES = ["PROVISIONING", "ACTIVE", "CAPTURING", "RELOADING", "DELETING", "FAILED"] as const;
export type ServerStatus = (typeof SERVER_STATUSES)[number];

export const POWER_STATES = ["RUNNING", "HALTED"] as const;
export type PowerState = (typeof POWER_STATES)[number];

export const VOLUME_ROLES = ["BOOT", "DATA", "SWAP"] as const;
export type VolumeRole = (typeof VOLUME_ROLES)[number];

export const TEMPLATE_STATUSES = ["CAPTURING", "ACTIVE", "DAMAGED", "FAILED", "DELETING"] as const;
export type TemplateStatus = (typeof TEMPLATE_STATUSES)[number];

export const OPERATION_KINDS = [
  "PROVISION",
  "CAPTURE",
  "DEPLOY",
  "RELOAD",
  "POWER_ON",
  "POWER_OFF",
  "DELETE_SERVER",
  "DELETE_TEMPLATE",
  "REPLICATE_TEMPLATE",
  "VERIFY_TEMPLATE",
] as const;
export type OperationKind = (typeof OPERATION_KINDS)[number];

export const OPERATION_STATUSES = ["QUEUED", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED"] as const;
export type OperationStatus = (typeof OPERATION_STATUSES)[number];

export const TERMINAL_OPERATION_STATUSES: readonly OperationStatus[] = ["SUCCEEDED", "FAILED", "CANCELLED"];

export function isTerminal(status: string): boolean {
  return (TERMINAL_OPERATION_STATUSES as readonly string[]).includes(status);
}
