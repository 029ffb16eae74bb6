import { builder } from "../builder.ts";
import { ApiTokenNode, RoleEnum } from "./api-token.ts";

export const AccountRef = builder.objectRef<{ id: string; name: string; createdAt: Date }>("Account").implement({
  description: "The tenant the token belongs to; everything the API shows is scoped to it.",
  fields: (t) => ({
    name: t.exposeString("name"),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    storedBytes: t.field({
      type: "ByteCount",
      description: "Compressed bytes of the distinct chunks the account's templates use (what counts against its storage quota).",
      resolve: (_account, _args, ctx) => ctx.domain.accounts.storedBytes(ctx.viewer),
    }),
    role: t.field({ type: RoleEnum, description: "The role of the token making this request.", resolve: (_account, _args, ctx) => ctx.viewer.role }),
    apiTokens: t.field({
      type: [ApiTokenNode],
      description: "The account's tokens, newest first, revoked ones too (ADMIN only).",
      authScopes: { admin: true },
      resolve: (_account, _args, ctx) => ctx.domain.accounts.tokens(ctx.viewer),
    }),
  }),
});

builder.queryField("viewer", (t) =>
  t.field({ type: AccountRef, resolve: (_root, _args, ctx) => ctx.domain.accounts.get(ctx.viewer) }),
);
