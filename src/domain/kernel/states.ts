// The enumerations of the domain: the Prisma enums of prisma/models.prisma (TEXT checked by
// the client on SQLite, native enums on PostgreSQL), as lists and types, exposed as GraphQL enums.
import { Enums } from "../../db/prisma.ts";

export type ServerKind = Enums.ServerKind;
export const SERVER_KINDS: readonly ServerKind[] = Object.values(Enums.ServerKind);

export type ServerStatus = Enums.ServerStatus;
export const SERVER_STATUSES: readonly ServerStatus[] = Object.values(Enums.ServerStatus);

export type PowerState = Enums.PowerState;
export const POWER_STATES: readonly PowerState[] = Object.values(Enums.PowerState);

export type VolumeRole = Enums.VolumeRole;
export const VOLUME_ROLES: readonly VolumeRole[] = Object.values(Enums.VolumeRole);

export type ImageTemplateKind = Enums.ImageTemplateKind;
export const IMAGE_TEMPLATE_KINDS: readonly ImageTemplateKind[] = Object.values(Enums.ImageTemplateKind);

export type ExportFormat = Enums.ExportFormat;
export const EXPORT_FORMATS: readonly ExportFormat[] = Object.values(Enums.ExportFormat);

export type RetentionAction = Enums.RetentionAction;
export const RETENTION_ACTIONS: readonly RetentionAction[] = Object.values(Enums.RetentionAction);

export type TemplateStatus = Enums.TemplateStatus;
export const TEMPLATE_STATUSES: readonly TemplateStatus[] = Object.values(Enums.TemplateStatus);

export type LocationStatus = Enums.LocationStatus;
export const LOCATION_STATUSES: readonly LocationStatus[] = Object.values(Enums.LocationStatus);

export type OperationKind = Enums.OperationKind;
export const OPERATION_KINDS: readonly OperationKind[] = Object.values(Enums.OperationKind);

export type OperationStatus = Enums.OperationStatus;
export const OPERATION_STATUSES: readonly OperationStatus[] = Object.values(Enums.OperationStatus);

export const TERMINAL_OPERATION_STATUSES: readonly OperationStatus[] = ["SUCCEEDED", "FAILED", "CANCELLED"];

export function isTerminal(status: string): boolean {
  return (TERMINAL_OPERATION_STATUSES as readonly string[]).includes(status);
}
