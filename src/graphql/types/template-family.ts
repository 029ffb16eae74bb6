// Families: a template's family, a family's view (what a deploy by it takes, its templates, its
// retention policy), and setting the policy.
import { RETENTION_ACTIONS } from "../../domain/kernel/index.ts";
import type { Family, RetentionPolicy, TemplateRow } from "../../domain/templates/index.ts";
import { builder } from "../builder.ts";
import { reads } from "../selected-columns.ts";
import { MUTATION_ERRORS } from "./errors.ts";
import { ImageTemplateNode } from "./image-template.ts";

const RetentionActionEnum = builder.enumType("RetentionAction", {
  values: RETENTION_ACTIONS,
  description: "What a family's retention policy does to templates older than the newest `keep`: DEPRECATE them (naming the newest as replacement) or DELETE them.",
});

builder.objectField(ImageTemplateNode, "family", (t) =>
  t.exposeString("family", { nullable: true, description: "Deploys and reloads may name the family instead of a template: they take its newest ACTIVE one.", extensions: reads<TemplateRow>("family") }),
);

const RetentionPolicyRef = builder.objectRef<RetentionPolicy>("RetentionPolicy").implement({
  description: "Applied after each capture into the family: templates older than the newest `keep` (ACTIVE, DEPRECATED or OBSOLETE ones) are deprecated or deleted; protected templates are never touched.",
  fields: (t) => ({
    keep: t.exposeInt("keep"),
    action: t.field({ type: RetentionActionEnum, resolve: (policy) => policy.action }),
  }),
});

const FamilyRef = builder.objectRef<Family>("ImageTemplateFamily").implement({
  description: "Templates that share a family name, as GCP's image families.",
  fields: (t) => ({
    name: t.exposeString("name"),
    latest: t.field({ type: ImageTemplateNode, nullable: true, description: "What a deploy by this family takes now: its newest ACTIVE template.", resolve: (family) => family.latest }),
    templates: t.field({ type: [ImageTemplateNode], description: "Newest first; every status but FAILED.", resolve: (family) => family.templates }),
    retention: t.field({ type: RetentionPolicyRef, nullable: true, resolve: (family) => family.retention }),
  }),
});

builder.queryField("imageTemplateFamily", (t) =>
  t.field({
    type: FamilyRef,
    nullable: true,
    description: "One of the viewer's families; null when no template is in it and it has no policy.",
    args: { name: t.arg.string({ required: true }) },
    resolve: (_root, args, ctx) => ctx.domain.families.get(ctx.viewer, args.name),
  }),
);

const SetRetentionInput = builder.inputType("SetImageTemplateFamilyRetentionInput", {
  fields: (t) => ({
    family: t.string({ required: true }),
    keep: t.int({ required: false, description: "How many of the newest templates stay as they are, 1 to 1000; null removes the policy." }),
    action: t.field({ type: RetentionActionEnum, required: false, description: "Default: DEPRECATE." }),
  }),
});

builder.mutationField("setImageTemplateFamilyRetention", (t) =>
  t.field({
    type: builder.objectRef<{ family: Family }>("SetImageTemplateFamilyRetentionPayload").implement({
      fields: (f) => ({ family: f.field({ type: FamilyRef, resolve: (p) => p.family }) }),
    }),
    description: "Sets a family's retention policy, and applies it at once; then again after each capture into the family. What it does is in the audit trail (token \"retention\").",
    errors: { types: MUTATION_ERRORS },
    args: { input: t.arg({ type: SetRetentionInput, required: true }) },
    resolve: async (_root, { input }, ctx) => ({
      family: await ctx.domain.families.setRetention(ctx.viewer, { family: input.family, keep: input.keep ?? null, action: input.action }),
    }),
  }),
);
