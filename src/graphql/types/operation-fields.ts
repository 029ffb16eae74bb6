// The operations list, cancelOperation, and the subscriptions that follow operations.
import type { Sharing } from "../shared-subscriptions.ts";
import { builder } from "../builder.ts";
import { countedConnection, NODES, pageArgs, toConnection } from "../connections.ts";
import { parseGlobalId } from "../ids.ts";
import { selectedColumns } from "../selected-columns.ts";
import type { SnapshotRow } from "../../domain/operations/index.ts";
import { OperationKindEnum, OperationStatusEnum } from "./enums.ts";
import { MUTATION_ERRORS } from "./errors.ts";
import { OperationNode } from "./operation.ts";

const OperationFilter = builder.inputType("OperationFilter", {
  fields: (t) => ({
    status: t.field({ type: [OperationStatusEnum], required: false }),
    kind: t.field({ type: [OperationKindEnum], required: false }),
  }),
});

builder.queryField("operations", (t) =>
  t.connection(
    {
      type: OperationNode,
      description: "The viewer's operations, newest first.",
      args: { filter: t.arg({ type: OperationFilter, required: false }) },
      resolve: async (_root, args, ctx, info) =>
        toConnection(await ctx.domain.operations.list(ctx.viewer, pageArgs(args), args.filter ?? {}, selectedColumns<SnapshotRow>(info, NODES, "id"))),
    },
    countedConnection("OperationConnection"),
  ),
);

const CancelOperationInput = builder.inputType("CancelOperationInput", {
  fields: (t) => ({ id: t.id({ required: true }) }),
});

const CancelOperationPayload = builder.objectRef<{ operation: unknown }>("CancelOperationPayload").implement({
  fields: (t) => ({
    operation: t.field({
      type: OperationNode,
      description: "A QUEUED operation comes back CANCELLED; a RUNNING one with cancelRequested, ending CANCELLED.",
      resolve: (p) => p.operation as never,
    }),
  }),
});

builder.mutationField("cancelOperation", (t) =>
  t.field({
    type: CancelOperationPayload,
    errors: { types: MUTATION_ERRORS },
    args: { input: t.arg({ type: CancelOperationInput, required: true }) },
    resolve: async (_root, { input }, ctx) => ({
      operation: await ctx.domain.operations.cancel(ctx.viewer, parseGlobalId(String(input.id), "Operation", "id")),
    }),
  }),
);

builder.subscriptionField("operationProgress", (t) =>
  t.field({
    type: OperationNode,
    description: "The operation's current state, then every change; completes after the terminal state.",
    args: { id: t.arg.id({ required: true }) },
    // Every event is the whole state: followers of the same operation share one source (shared-subscriptions.ts).
    extensions: { sharing: "latest" satisfies Sharing },
    subscribe: (_root, args, ctx) => ctx.domain.operations.follow(ctx.viewer, parseGlobalId(String(args.id), "Operation", "id")),
    resolve: (snapshot) => snapshot as never,
  }),
);

builder.subscriptionField("operationEvents", (t) =>
  t.field({
    type: OperationNode,
    description: "Every change of every operation of the viewer's account.",
    extensions: { sharing: "live" satisfies Sharing },
    subscribe: (_root, _args, ctx) => ctx.domain.operations.feed(ctx.viewer),
    resolve: (snapshot) => snapshot as never,
  }),
);
