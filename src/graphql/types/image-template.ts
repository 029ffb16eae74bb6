// ImageTemplate, its captured volumes and recorded configuration, the templates list, and
// the capture, update and delete mutations.
import { IncompatibleServerError } from "../../domain/kernel/index.ts";
import type { RecordedConfiguration, TemplateRow, TemplateVolumeRow } from "../../domain/templates/index.ts";
import type { SnapshotRow } from "../../domain/operations/index.ts";
import type { ServerRow } from "../../domain/servers/index.ts";
import { builder, UNCACHED_LOADS } from "../builder.ts";
import { countedConnection, NODES, pageArgs, toConnection } from "../connections.ts";
import { parseGlobalId } from "../ids.ts";
import { reads, selectedColumns } from "../selected-columns.ts";
import { ImageTemplateKindEnum, PowerStateEnum, ServerKindEnum, TemplateStatusEnum, VolumeRoleEnum } from "./enums.ts";
import { MACHINE_OPERATION_ERRORS, MUTATION_ERRORS, OPERATION_ERRORS } from "./errors.ts";
import { OperationNode } from "./operation.ts";
import { ServerNode } from "./server.ts";

export const ImageTemplateNode = builder.loadableNode("ImageTemplate", {
  description: "A captured server: its volumes' data on the image store and its recorded configuration.",
  id: { resolve: (template: TemplateRow) => template.id },
  isTypeOf: (value) => typeof (value as { id?: unknown }).id === "string" && (value as { id: string }).id.startsWith("img_"),
  loaderOptions: UNCACHED_LOADS,
  load: async (ids: string[], ctx) => (await ctx.domain.templates.loadMany(ctx.viewer, ids)) as TemplateRow[],
  fields: (t) => ({
    globalIdentifier: t.exposeString("globalIdentifier", { description: "UUID; also the name of the manifest in the image store." }),
    name: t.exposeString("name"),
    note: t.exposeString("note"),
    kind: t.field({
      type: ImageTemplateKindEnum,
      description: "STANDARD: virtual servers only. FLEX: also captured from and deployed to bare metal.",
      extensions: reads<TemplateRow>("kind"),
      resolve: (tpl) => tpl.kind,
    }),
    type: t.string({ deprecationReason: "Use kind.", extensions: reads<TemplateRow>("kind"), resolve: (tpl) => tpl.kind }),
    status: t.field({ type: TemplateStatusEnum, extensions: reads<TemplateRow>("status"), resolve: (tpl) => tpl.status }),
    deprecateAt: t.expose("deprecateAt", { type: "DateTime", nullable: true, description: "From then the template is DEPRECATED: it still deploys, with a warning." }),
    obsoleteAt: t.expose("obsoleteAt", { type: "DateTime", nullable: true, description: "From then the template is OBSOLETE: deploys and reloads are refused." }),
    protected: t.exposeBoolean("protected", { description: "A protected template cannot be deleted; set and cleared with updateImageTemplate." }),
    deploymentCount: t.exposeInt("deploymentCount", { description: "Deploys from it that succeeded." }),
    lastDeployedAt: t.expose("lastDeployedAt", { type: "DateTime", nullable: true, description: "When the last of them succeeded." }),
    datacenters: t.loadableList({
      loaderOptions: UNCACHED_LOADS,
      type: "String",
      description: "Datacenter codes where the template can be deployed.",
      load: (ids: string[], ctx) => ctx.domain.templates.datacentersOf(ids),
      extensions: reads<TemplateRow>(),
      resolve: (tpl) => tpl.id,
    }),
    sourceServer: t.field({
      type: ServerNode,
      nullable: true,
      description: "The server it was captured from; null once that server is deleted.",
      extensions: reads<TemplateRow>("sourceServerId"),
      resolve: (tpl) => tpl.sourceServerId,
    }),
    configuration: t.field({
      type: ConfigurationRef,
      nullable: true,
      description: "Recorded at capture; null until the capture succeeds.",
      extensions: reads<TemplateRow>("status", "configuration"),
      resolve: (tpl) => (["ACTIVE", "DAMAGED", "DELETING"].includes(tpl.status) ? (JSON.parse(tpl.configuration) as RecordedConfiguration) : null),
    }),
    volumes: t.loadableGroup({
      loaderOptions: UNCACHED_LOADS,
      type: TemplateVolumeRef,
      load: (ids: string[], ctx) => ctx.domain.templates.volumesOf(ids),
      group: (volume) => volume.templateId,
      extensions: reads<TemplateRow>(),
      resolve: (tpl) => tpl.id,
    }),
    sizeBytes: t.field({
      type: "ByteCount",
      description: "Bytes of data captured (holes not counted).",
      extensions: reads<TemplateRow>("sizeBytes"),
      resolve: (tpl) => tpl.sizeBytes,
    }),
    storedBytes: t.field({
      type: "ByteCount",
      description: "Compressed bytes of the chunks this template needs in the image store, counted in full even when other templates share them.",
      extensions: reads<TemplateRow>("storedBytes"),
      resolve: (tpl) => tpl.storedBytes,
    }),
    captureOperation: t.loadable({
      loaderOptions: UNCACHED_LOADS,
      type: OperationNode,
      nullable: true,
      load: (templateIds: string[], ctx) => ctx.domain.templates.captureOperations(ctx.viewer, templateIds),
      extensions: reads<TemplateRow>(),
      resolve: (tpl) => tpl.id,
    }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
  }),
});

const ConfigurationVolumeRef = builder
  .objectRef<RecordedConfiguration["volumes"][number]>("TemplateVolumeLayout")
  .implement({
    fields: (t) => ({
      index: t.exposeInt("index"),
      role: t.field({ type: VolumeRoleEnum, resolve: (v) => v.role }),
      capacityGb: t.exposeInt("capacityGb"),
      captured: t.exposeBoolean("captured"),
    }),
  });

const ConfigurationRef = builder.objectRef<RecordedConfiguration>("TemplateConfiguration").implement({
  description: "The source server's configuration at capture time: the defaults of a deploy.",
  fields: (t) => ({
    kind: t.field({ type: ServerKindEnum, resolve: (c) => c.kind }),
    os: t.exposeString("os"),
    cpu: t.exposeInt("cpu"),
    memoryMb: t.exposeInt("memoryMb"),
    datacenter: t.exposeString("datacenter"),
    volumes: t.field({ type: [ConfigurationVolumeRef], resolve: (c) => c.volumes }),
    powerState: t.field({
      type: PowerStateEnum,
      description: "The source server's power state before the capture: a deploy or reload starts the host when it was RUNNING (RUNNING for templates captured before it was recorded).",
      resolve: (c) => c.powerState ?? "RUNNING",
    }),
  }),
});

const TemplateVolumeRef = builder.objectRef<TemplateVolumeRow>("TemplateVolume").implement({
  description: "One captured volume.",
  fields: (t) => ({
    index: t.exposeInt("index"),
    role: t.field({ type: VolumeRoleEnum, resolve: (v) => v.role }),
    capacityGb: t.exposeInt("capacityGb"),
    sizeBytes: t.field({ type: "ByteCount", description: "Bytes of data (non-zero chunks).", resolve: (v) => v.dataBytes }),
    storedBytes: t.field({ type: "ByteCount", description: "Compressed bytes of this volume's chunks in the image store, counted in full even when other templates share them.", resolve: (v) => v.storedBytes }),
    digest: t.exposeString("digest", {
      description: "SHA-256 over the volume's chunk list, holes included (docs/manifest-format.md). `npm run verify-volume -- FILE DIGEST` checks a raw disk file against it.",
    }),
  }),
});

builder.objectField(OperationNode, "imageTemplate", (t) =>
  t.field({ type: ImageTemplateNode, nullable: true, extensions: reads<SnapshotRow>("imageTemplateId"), resolve: (op) => op.imageTemplateId }),
);

const ImageTemplateFilter = builder.inputType("ImageTemplateFilter", {
  fields: (t) => ({
    status: t.field({ type: [TemplateStatusEnum], required: false, description: "Only these; DEPRECATED and OBSOLETE included when named." }),
    includeDeprecated: t.boolean({ required: false, description: "Also DEPRECATED and OBSOLETE templates, which are left out by default." }),
    kind: t.field({ type: ImageTemplateKindEnum, required: false }),
    nameContains: t.string({ required: false }),
    datacenter: t.string({ required: false, description: "Templates available in this datacenter." }),
  }),
});

builder.queryField("imageTemplates", (t) =>
  t.connection(
    {
      type: ImageTemplateNode,
      description: "The viewer's image templates, oldest first; deprecated and obsolete ones only with filter.includeDeprecated (or a status filter naming them).",
      args: { filter: t.arg({ type: ImageTemplateFilter, required: false }) },
      resolve: async (_root, args, ctx, info) =>
        toConnection(await ctx.domain.templates.list(ctx.viewer, pageArgs(args), args.filter ?? {}, selectedColumns<TemplateRow>(info, NODES, "id"))),
    },
    countedConnection("ImageTemplateConnection"),
  ),
);

builder.objectField(ServerNode, "imageTemplates", (t) =>
  t.connection(
    {
      type: ImageTemplateNode,
      description: "Templates captured from this server, deprecated and obsolete ones included.",
      extensions: reads<ServerRow>(),
      resolve: async (server, args, ctx, info) =>
        toConnection(await ctx.domain.templates.list(ctx.viewer, pageArgs(args), { sourceServerId: server.id, includeDeprecated: true }, selectedColumns<TemplateRow>(info, NODES, "id"))),
    },
    countedConnection("ServerImageTemplateConnection"),
  ),
);

// --- mutations ---

/** A payload of a template and the operation that changes it. */
export const TemplatePayload = (name: string) =>
  builder.objectRef<{ imageTemplate: TemplateRow; operation: unknown }>(name).implement({
    fields: (t) => ({
      imageTemplate: t.field({ type: ImageTemplateNode, resolve: (p) => p.imageTemplate }),
      operation: t.field({ type: OperationNode, resolve: (p) => p.operation as never }),
    }),
  });

const CaptureImageTemplateInput = builder.inputType("CaptureImageTemplateInput", {
  fields: (t) => ({
    serverId: t.id({ required: true }),
    name: t.string({ required: true, description: "Unique in the account, 1 to 100 characters." }),
    note: t.string({ required: false }),
    kind: t.field({
      type: ImageTemplateKindEnum,
      required: false,
      description: "STANDARD (the default): from a virtual server, for virtual servers. FLEX: from a virtual or bare-metal server whose operating system is Flex-capable, for both.",
    }),
    family: t.string({ required: false, description: "The family it joins (lowercase letters, digits and hyphens); its retention policy, if any, applies once the capture succeeds." }),
    volumeIndexes: t.intList({ required: false, description: "Volumes to capture; default: every volume except swap." }),
    idempotencyKey: t.string({ required: false, description: "Sending the same key with the same input again (at once or later) returns the first result instead of capturing twice; with other input it is a ConflictError (IDEMPOTENT_PARAMETER_MISMATCH). 1 to 200 characters." }),
  }),
});

builder.mutationField("captureImageTemplate", (t) =>
  t.field({
    type: TemplatePayload("CaptureImageTemplatePayload"),
    description: "Captures a server into a new template (bare metal only as a FLEX image); follow the returned CAPTURE operation.",
    errors: { types: [...MACHINE_OPERATION_ERRORS, IncompatibleServerError] },
    args: { input: t.arg({ type: CaptureImageTemplateInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      ctx.domain.templates.capture(ctx.viewer, { ...input, serverId: parseGlobalId(String(input.serverId), "Server", "serverId") }),
  }),
);

const UpdateImageTemplateInput = builder.inputType("UpdateImageTemplateInput", {
  fields: (t) => ({
    id: t.id({ required: true }),
    name: t.string({ required: false }),
    note: t.string({ required: false }),
    protected: t.boolean({ required: false, description: "true: deleting it is refused (ConflictError, state PROTECTED) until it is set false again." }),
    family: t.string({ required: false, description: "Moves it into this family; an empty string takes it out of its family." }),
  }),
});

/** A payload of the template a mutation changed, when nothing runs after it. */
export const TemplateChangedPayload = (name: string) =>
  builder.objectRef<{ imageTemplate: TemplateRow }>(name).implement({
    fields: (t) => ({ imageTemplate: t.field({ type: ImageTemplateNode, resolve: (p) => p.imageTemplate }) }),
  });

const UpdateImageTemplatePayload = TemplateChangedPayload("UpdateImageTemplatePayload");

builder.mutationField("updateImageTemplate", (t) =>
  t.field({
    type: UpdateImageTemplatePayload,
    errors: { types: MUTATION_ERRORS },
    args: { input: t.arg({ type: UpdateImageTemplateInput, required: true }) },
    resolve: async (_root, { input }, ctx) => ({
      imageTemplate: await ctx.domain.templates.update(ctx.viewer, { ...input, id: parseGlobalId(String(input.id), "ImageTemplate", "id") }),
    }),
  }),
);

const DeleteImageTemplateInput = builder.inputType("DeleteImageTemplateInput", {
  fields: (t) => ({ id: t.id({ required: true }) }),
});

builder.mutationField("deleteImageTemplate", (t) =>
  t.field({
    type: TemplatePayload("DeleteImageTemplatePayload"),
    description: "Deletes a template (a DELETE_TEMPLATE operation); chunks other templates use stay.",
    errors: { types: MUTATION_ERRORS },
    args: { input: t.arg({ type: DeleteImageTemplateInput, required: true }) },
    resolve: (_root, { input }, ctx) => ctx.domain.templates.delete(ctx.viewer, parseGlobalId(String(input.id), "ImageTemplate", "id")),
  }),
);

const VerifyImageTemplateInput = builder.inputType("VerifyImageTemplateInput", {
  fields: (t) => ({ id: t.id({ required: true }) }),
});

builder.mutationField("verifyImageTemplate", (t) =>
  t.field({
    type: TemplatePayload("VerifyImageTemplatePayload"),
    description:
      "Reads back every chunk of a template and checks it (a VERIFY_TEMPLATE operation). A missing or damaged chunk makes the template DAMAGED and the operation FAILED with INTEGRITY; a DAMAGED template whose chunks all read whole again is ACTIVE again.",
    errors: { types: OPERATION_ERRORS },
    args: { input: t.arg({ type: VerifyImageTemplateInput, required: true }) },
    resolve: (_root, { input }, ctx) => ctx.domain.templates.verify(ctx.viewer, parseGlobalId(String(input.id), "ImageTemplate", "id")),
  }),
);
