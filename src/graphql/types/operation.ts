// Operation: the node clients follow for every long action.
import type { OperationSnapshot, SnapshotRow } from "../../domain/operations/index.ts";
import { builder, UNCACHED_LOADS } from "../builder.ts";
import { reads } from "../selected-columns.ts";
import { OperationKindEnum, OperationStatusEnum } from "./enums.ts";
import { ErrorCodeEnum } from "./errors.ts";

export const OperationNode = builder.loadableNode("Operation", {
  description: "One long-running job: a provision, capture, deploy, power change or delete.",
  id: { resolve: (op: OperationSnapshot) => op.id },
  isTypeOf: (value) => typeof (value as { id?: unknown }).id === "string" && (value as { id: string }).id.startsWith("op_"),
  loaderOptions: UNCACHED_LOADS,
  load: async (ids: string[], ctx) => (await ctx.domain.operations.loadMany(ctx.viewer, ids)) as OperationSnapshot[],
  fields: (t) => ({
    kind: t.expose("kind", { type: OperationKindEnum }),
    status: t.expose("status", { type: OperationStatusEnum }),
    step: t.exposeString("step", { description: "What the operation is doing now, e.g. \"capturing volume 1 of 2\"." }),
    progress: t.exposeFloat("progress", { description: "From 0 to 1, by bytes where the operation moves bytes." }),
    bytesDone: t.expose("bytesDone", { type: "ByteCount" }),
    bytesTotal: t.expose("bytesTotal", { type: "ByteCount" }),
    throughput: t.exposeFloat("throughput", { description: "Bytes per second since the operation began moving bytes." }),
    etaSeconds: t.int({
      nullable: true,
      description: "Estimated seconds left, while RUNNING.",
      extensions: reads<SnapshotRow>("status", "bytesDone", "bytesTotal", "throughput"),
      resolve: (op) => op.etaSeconds,
    }),
    cancelRequested: t.exposeBoolean("cancelRequested"),
    error: t.field({
      type: OperationErrorRef,
      nullable: true,
      extensions: reads<SnapshotRow>("errorCode", "errorMessage"),
      resolve: (op) => (op.errorCode ? { code: op.errorCode, message: op.errorMessage ?? "" } : null),
    }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    updatedAt: t.field({
      type: "DateTime",
      description: "When the operation reached this state (progress included).",
      extensions: reads<SnapshotRow>("updatedAt"),
      resolve: (op) => new Date(op.changedAt),
    }),
    startedAt: t.expose("startedAt", { type: "DateTime", nullable: true }),
    finishedAt: t.expose("finishedAt", { type: "DateTime", nullable: true }),
  }),
});

const OperationErrorRef = builder.objectRef<{ code: string; message: string }>("OperationError").implement({
  description: "Why an operation FAILED or was CANCELLED.",
  fields: (t) => ({
    code: t.field({ type: ErrorCodeEnum, resolve: (e) => e.code as never }),
    message: t.exposeString("message"),
  }),
});
