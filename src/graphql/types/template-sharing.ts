// Sharing templates between accounts: share and unshare, who a template is shared with, the
// templates shared with the viewer, and the viewer's own ID to give to a partner.
import { encodeGlobalID } from "@pothos/plugin-relay";
import type { TemplateRow } from "../../domain/templates/index.ts";
import { builder, UNCACHED_LOADS } from "../builder.ts";
import { countedConnection, NODES, pageArgs, toConnection } from "../connections.ts";
import { parseGlobalId } from "../ids.ts";
import { reads, selectedColumns } from "../selected-columns.ts";
import { MUTATION_ERRORS } from "./errors.ts";
import { ImageTemplateNode, TemplateChangedPayload } from "./image-template.ts";
import { AccountRef } from "./viewer.ts";

builder.objectField(AccountRef, "id", (t) =>
  t.id({ description: "The account's public ID: what a partner names to share a template with it.", resolve: (account) => encodeGlobalID("Account", account.id) }),
);

builder.objectField(ImageTemplateNode, "sharedWith", (t) =>
  t.loadableList({
    loaderOptions: UNCACHED_LOADS,
    type: "ID",
    description: "The accounts its owner shares it with (their public IDs); empty for a template shared with the viewer.",
    load: (ids: string[], ctx) => ctx.domain.sharing.sharedWith(ctx.viewer, ids).then((lists) => lists.map((list) => list.map((id) => encodeGlobalID("Account", id)))),
    extensions: reads<TemplateRow>(),
    resolve: (tpl) => tpl.id,
  }),
);

builder.queryField("sharedImageTemplates", (t) =>
  t.connection(
    {
      type: ImageTemplateNode,
      description: "Templates other accounts share with the viewer, oldest first: it may read and deploy them, nothing more.",
      resolve: async (_root, args, ctx, info) =>
        toConnection(await ctx.domain.templates.list(ctx.viewer, pageArgs(args), { sharedWithViewer: true, includeDeprecated: true }, selectedColumns<TemplateRow>(info, NODES, "id"))),
    },
    countedConnection("SharedImageTemplateConnection"),
  ),
);

const ShareInput = (name: string) =>
  builder.inputType(name, {
    fields: (t) => ({
      id: t.id({ required: true, description: "The viewer's template." }),
      accountId: t.id({ required: true, description: "The other account's public ID (its viewer { id })." }),
    }),
  });

builder.mutationField("shareImageTemplate", (t) =>
  t.field({
    type: TemplateChangedPayload("ShareImageTemplatePayload"),
    description: "Lets another account read and deploy one of the viewer's templates (never change, share, copy or delete it). Sharing again changes nothing.",
    errors: { types: MUTATION_ERRORS },
    args: { input: t.arg({ type: ShareInput("ShareImageTemplateInput"), required: true }) },
    resolve: async (_root, { input }, ctx) => ({
      imageTemplate: await ctx.domain.sharing.share(ctx.viewer, {
        id: parseGlobalId(String(input.id), "ImageTemplate", "id"),
        accountId: parseGlobalId(String(input.accountId), "Account", "accountId"),
      }),
    }),
  }),
);

builder.mutationField("unshareImageTemplate", (t) =>
  t.field({
    type: TemplateChangedPayload("UnshareImageTemplatePayload"),
    description: "Stops sharing a template with an account: its new deploys are refused at once; servers it deployed keep working.",
    errors: { types: MUTATION_ERRORS },
    args: { input: t.arg({ type: ShareInput("UnshareImageTemplateInput"), required: true }) },
    resolve: async (_root, { input }, ctx) => ({
      imageTemplate: await ctx.domain.sharing.unshare(ctx.viewer, {
        id: parseGlobalId(String(input.id), "ImageTemplate", "id"),
        accountId: parseGlobalId(String(input.accountId), "Account", "accountId"),
      }),
    }),
  }),
);
