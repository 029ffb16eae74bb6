// The audit trail, for the account's ADMIN.
import type { AuditEventRow } from "../../domain/accounts/index.ts";
import { encodeGlobalID } from "@pothos/plugin-relay";
import { builder } from "../builder.ts";
import { countedConnection, pageArgs, toConnection } from "../connections.ts";

const AuditEventRef = builder.objectRef<AuditEventRow>("AuditEvent").implement({
  description: "One mutation: who made it with which token, on what, and how it ended.",
  fields: (t) => ({
    id: t.exposeID("id"),
    action: t.exposeString("action", { description: "The mutation, e.g. deleteServer." }),
    target: t.exposeString("target", { nullable: true, description: "The ID the mutation named, or of what it made." }),
    outcome: t.exposeString("outcome", { description: "OK, or the error code it ended with (FORBIDDEN, NOT_FOUND, …)." }),
    tokenId: t.field({ type: "ID", description: "The API token it was made with.", resolve: (event) => encodeGlobalID("ApiToken", event.tokenId) }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
  }),
});

builder.queryField("auditEvents", (t) =>
  t.connection(
    {
      type: AuditEventRef,
      description: "Every mutation of the account, newest first (ADMIN only).",
      authScopes: { admin: true },
      resolve: async (_root, args, ctx) => toConnection(await ctx.domain.audit.list(ctx.viewer, pageArgs(args))),
    },
    countedConnection("AuditEventConnection"),
  ),
);
