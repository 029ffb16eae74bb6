// Retiring templates: deprecateImageTemplate and undeprecateImageTemplate, the warning a deploy
// from a deprecated template carries, and the refusal of an obsolete one.
import { ObsoleteTemplateError } from "../../domain/kernel/index.ts";
import type { DeployWarning, TemplateRow } from "../../domain/templates/index.ts";
import { builder } from "../builder.ts";
import { parseGlobalId } from "../ids.ts";
import { reads } from "../selected-columns.ts";
import { ErrorInterface, MUTATION_ERRORS } from "./errors.ts";
import { ImageTemplateNode, TemplateChangedPayload } from "./image-template.ts";

builder.objectField(ImageTemplateNode, "replacement", (t) =>
  t.field({
    type: ImageTemplateNode,
    nullable: true,
    description: "What to use instead, named by deprecation warnings and obsolete refusals; null once deleted.",
    extensions: reads<TemplateRow>("replacementId"),
    resolve: (tpl) => tpl.replacementId,
  }),
);

builder.objectType(ObsoleteTemplateError, {
  name: "ObsoleteImageTemplateError",
  description: "The template is OBSOLETE: it no longer deploys. Use its replacement.",
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof ObsoleteTemplateError,
  fields: (t) => ({
    replacement: t.field({ type: ImageTemplateNode, nullable: true, resolve: (error) => error.replacementId }),
  }),
});

export const DeployWarningRef = builder.objectRef<DeployWarning>("DeployWarning").implement({
  description: "Something a deploy or reload that went ahead should make its caller do: move off a deprecated template.",
  fields: (t) => ({
    code: t.exposeString("code", { description: "TEMPLATE_DEPRECATED." }),
    message: t.exposeString("message"),
    replacement: t.field({ type: ImageTemplateNode, nullable: true, resolve: (warning) => warning.replacementId }),
  }),
});

const DeprecateImageTemplateInput = builder.inputType("DeprecateImageTemplateInput", {
  fields: (t) => ({
    id: t.id({ required: true }),
    deprecateAt: t.field({ type: "DateTime", required: false, description: "From then it is DEPRECATED (deploys go ahead, with a warning). Default: now; may lie ahead." }),
    obsoleteAt: t.field({ type: "DateTime", required: false, description: "From then it is OBSOLETE (deploys and reloads are refused). Default: never; not before deprecateAt." }),
    replacementId: t.id({ required: false, description: "The template to use instead: one of the account's that deploys (ACTIVE or DEPRECATED)." }),
  }),
});

builder.mutationField("deprecateImageTemplate", (t) =>
  t.field({
    type: TemplateChangedPayload("DeprecateImageTemplatePayload"),
    description:
      "Sets when a template becomes DEPRECATED and OBSOLETE, and what replaces it. Setting them again moves them; a time already past takes effect at once, one ahead when it comes (any running instance applies it).",
    errors: { types: MUTATION_ERRORS },
    args: { input: t.arg({ type: DeprecateImageTemplateInput, required: true }) },
    resolve: async (_root, { input }, ctx) => ({
      imageTemplate: await ctx.domain.retirement.deprecate(ctx.viewer, {
        id: parseGlobalId(String(input.id), "ImageTemplate", "id"),
        deprecateAt: input.deprecateAt,
        obsoleteAt: input.obsoleteAt,
        replacementId: input.replacementId ? parseGlobalId(String(input.replacementId), "ImageTemplate", "replacementId") : null,
      }),
    }),
  }),
);

builder.mutationField("undeprecateImageTemplate", (t) =>
  t.field({
    type: TemplateChangedPayload("UndeprecateImageTemplatePayload"),
    description: "Clears a template's deprecation: it is ACTIVE again, with no retirement times and no replacement.",
    errors: { types: MUTATION_ERRORS },
    args: { input: t.arg({ type: builder.inputType("UndeprecateImageTemplateInput", { fields: (f) => ({ id: f.id({ required: true }) }) }), required: true }) },
    resolve: async (_root, { input }, ctx) => ({
      imageTemplate: await ctx.domain.retirement.undeprecate(ctx.viewer, parseGlobalId(String(input.id), "ImageTemplate", "id")),
    }),
  }),
);
