// The JSON shape of an operation as the API, the event bus and subscribers see it.
import type { OperationKind, OperationStatus } from "../kernel/index.ts";

export interface OperationSnapshot {
  id: string;
  accountId: string;
  kind: OperationKind;
  status: OperationStatus;
  step: string;
  progress: number;
  bytesDone: number;
  bytesTotal: number;
  /** Bytes per second, averaged since the operation started moving bytes. */
  throughput: number;
  etaSeconds: number | null;
  cancelRequested: boolean;
  errorCode: string | null;
  errorMessage: string | null;
  serverId: string | null;
  imageTemplateId: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** When this state was reached (ms since epoch); orders a database read against events. */
  changedAt: number;
}

export interface OperationRow {
  id: string;
  accountId: string;
  kind: OperationKind;
  status: OperationStatus;
  step: string;
  progress: number;
  bytesDone: bigint;
  bytesTotal: bigint;
  throughput: number;
  cancelRequested: boolean;
  errorCode: string | null;
  errorMessage: string | null;
  serverId: string | null;
  imageTemplateId: string | null;
  input: string;
  undo: string;
  ownerId: string | null;
  /** The fencing token of the owner's lease (lease.ts). */
  claim: number;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  updatedAt: Date;
}

/** The columns a snapshot is made of (not the pipeline's input and undo, nor the runner's lease). */
export type SnapshotRow = Pick<
  OperationRow,
  | "id" | "accountId" | "kind" | "status" | "step" | "progress" | "bytesDone" | "bytesTotal" | "throughput" | "cancelRequested"
  | "errorCode" | "errorMessage" | "serverId" | "imageTemplateId" | "createdAt" | "startedAt" | "finishedAt" | "updatedAt"
>;

/** SnapshotRow's columns, for the raw reads that make snapshots (a page's latest operations). */
export const SNAPSHOT_COLUMNS = [
  "id", "accountId", "kind", "status", "step", "progress", "bytesDone", "bytesTotal", "throughput", "cancelRequested",
  "errorCode", "errorMessage", "serverId", "imageTemplateId", "createdAt", "startedAt", "finishedAt", "updatedAt",
] as const satisfies ReadonlyArray<keyof SnapshotRow>;

export function etaSeconds(bytesDone: number, bytesTotal: number, throughput: number): number | null {
  if (throughput <= 0 || bytesTotal <= bytesDone) return null;
  return Math.ceil((bytesTotal - bytesDone) / throughput);
}

export function toSnapshot(row: SnapshotRow): OperationSnapshot {
  const bytesDone = Number(row.bytesDone);
  const bytesTotal = Number(row.bytesTotal);
  return {
    id: row.id,
    accountId: row.accountId,
    kind: row.kind,
    status: row.status,
    step: row.step,
    progress: row.progress,
    bytesDone,
    bytesTotal,
    throughput: row.throughput,
    etaSeconds: row.status === "RUNNING" ? etaSeconds(bytesDone, bytesTotal, row.throughput) : null,
    cancelRequested: row.cancelRequested,
    errorCode: row.errorCode,
    errorMessage: row.errorMessage,
    serverId: row.serverId,
    imageTemplateId: row.imageTemplateId,
    createdAt: row.createdAt.toISOString(),
    startedAt: row.startedAt?.toISOString() ?? null,
    finishedAt: row.finishedAt?.toISOString() ?? null,
    changedAt: row.updatedAt.getTime(),
  };
}
