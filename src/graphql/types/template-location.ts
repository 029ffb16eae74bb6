// A template's locations (its copy in each datacenter) and the mutations that add and drop them.
import { ObsoleteTemplateError } from "../../domain/kernel/index.ts";
import type { Location, TemplateRow } from "../../domain/templates/index.ts";
import { builder, UNCACHED_LOADS } from "../builder.ts";
import { parseGlobalId } from "../ids.ts";
import { reads } from "../selected-columns.ts";
import { LocationStatusEnum } from "./enums.ts";
import { MUTATION_ERRORS, OPERATION_ERRORS } from "./errors.ts";
import { ImageTemplateNode } from "./image-template.ts";
import { OperationNode } from "./operation.ts";

const LocationRef = builder.objectRef<Location>("ImageTemplateLocation").implement({
  description: "The template's copy in one datacenter. A deploy into a datacenter needs an AVAILABLE location there.",
  fields: (t) => ({
    datacenter: t.exposeString("datacenter"),
    status: t.field({
      type: LocationStatusEnum,
      description: "COPYING while its REPLICATE_TEMPLATE operation runs, then AVAILABLE; FAILED when that operation failed or was cancelled (asked for again, it is copied anew).",
      resolve: (row) => row.status,
    }),
    copyOperation: t.field({
      type: OperationNode,
      nullable: true,
      description: "The operation copying it, while one does.",
      resolve: (row) => row.operationId,
    }),
    storedBytes: t.field({
      type: "ByteCount",
      description: "Compressed bytes of the template's chunks in this datacenter's image store (chunks it shares with other templates counted in full); 0 until its copy ends.",
      resolve: (row) => row.storedBytes,
    }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
  }),
});

builder.objectField(ImageTemplateNode, "locations", (t) =>
  t.loadableGroup({
    loaderOptions: UNCACHED_LOADS,
    type: LocationRef,
    description: "Every location of the template, whatever its state, by datacenter code.",
    load: (ids: string[], ctx) => ctx.domain.templates.locationsOf(ids),
    group: (row) => row.templateId,
    extensions: reads<TemplateRow>(),
    resolve: (tpl) => tpl.id,
  }),
);

const DatacentersInput = (name: string, what: string) =>
  builder.inputType(name, {
    fields: (t) => ({
      id: t.id({ required: true, description: "The template's ID." }),
      datacenters: t.stringList({ required: true, description: what }),
    }),
  });

const AddPayload = builder
  .objectRef<{ imageTemplate: TemplateRow; operation: unknown; locations: Location[] }>("AddImageTemplateDatacentersPayload")
  .implement({
    fields: (t) => ({
      imageTemplate: t.field({ type: ImageTemplateNode, resolve: (p) => p.imageTemplate }),
      operation: t.field({
        type: OperationNode,
        nullable: true,
        description: "The REPLICATE_TEMPLATE operation copying to the datacenters that needed a copy; null when every one asked for was AVAILABLE or COPYING already.",
        resolve: (p) => p.operation as never,
      }),
      locations: t.field({ type: [LocationRef], description: "The locations asked for, as they are now.", resolve: (p) => p.locations }),
    }),
  });

builder.mutationField("addImageTemplateDatacenters", (t) =>
  t.field({
    type: AddPayload,
    description:
      "Makes a template deployable in more datacenters: a REPLICATE_TEMPLATE operation for those without a location (or with a FAILED one); a location AVAILABLE or COPYING already is answered as it is.",
    errors: { types: [...OPERATION_ERRORS, ObsoleteTemplateError] },
    args: { input: t.arg({ type: DatacentersInput("AddImageTemplateDatacentersInput", "Datacenter codes (see the datacenters query)."), required: true }) },
    resolve: (_root, { input }, ctx) => ctx.domain.locations.add(ctx.viewer, { id: parseGlobalId(String(input.id), "ImageTemplate", "id"), datacenters: input.datacenters }),
  }),
);

const RemovePayload = builder.objectRef<{ imageTemplate: TemplateRow; locations: Location[] }>("RemoveImageTemplateDatacentersPayload").implement({
  fields: (t) => ({
    imageTemplate: t.field({ type: ImageTemplateNode, resolve: (p) => p.imageTemplate }),
    locations: t.field({ type: [LocationRef], description: "The locations the template still has.", resolve: (p) => p.locations }),
  }),
});

builder.mutationField("removeImageTemplateDatacenters", (t) =>
  t.field({
    type: RemovePayload,
    description:
      "Drops the template's locations in these datacenters. Refused (ConflictError) for a location being copied (state COPYING: cancel its operation first) and for the last AVAILABLE one (state LAST_LOCATION: delete the template instead).",
    errors: { types: MUTATION_ERRORS },
    args: { input: t.arg({ type: DatacentersInput("RemoveImageTemplateDatacentersInput", "Datacenter codes of its locations."), required: true }) },
    resolve: (_root, { input }, ctx) => ctx.domain.locations.remove(ctx.viewer, { id: parseGlobalId(String(input.id), "ImageTemplate", "id"), datacenters: input.datacenters }),
  }),
);
