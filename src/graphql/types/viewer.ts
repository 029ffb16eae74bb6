import { builder } from "../builder.js";

const AccountRef = builder.objectRef<{ id: string; name: string; createdAt: Date }>("Account").implement({
  description: "The tenant the token belongs to; everything the API shows is scoped to it.",
  fields: (t) => ({
    name: t.exposeString("name"),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
  }),
});

builder.queryField("viewer", (t) =>
  t.field({ type: AccountRef, resolve: (_root, _args, ctx) => ctx.domain.accounts.get(ctx.viewer) }),
);
