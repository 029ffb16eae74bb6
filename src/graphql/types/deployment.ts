// Deploying templates: deployImageTemplate and reloadServer, and the links between servers
// and the templates they came from.
import type { DeploymentQueued } from "../../domain/deployments/index.ts";
import { IncompatibleServerError, ObsoleteTemplateError } from "../../domain/kernel/index.ts";
import type { ServerRow } from "../../domain/servers/index.ts";
import type { TemplateRow } from "../../domain/templates/index.ts";
import { builder, UNCACHED_LOADS } from "../builder.ts";
import { countedConnection, NODES, pageArgs, toConnection } from "../connections.ts";
import { parseGlobalId } from "../ids.ts";
import { reads, selectedColumns } from "../selected-columns.ts";
import { ServerKindEnum } from "./enums.ts";
import { MACHINE_OPERATION_ERRORS, OPERATION_ERRORS } from "./errors.ts";
import { ImageTemplateNode } from "./image-template.ts";
import { OperationNode } from "./operation.ts";
import { ServerNode } from "./server.ts";
import { DeployWarningRef } from "./template-retirement.ts";

const DEPLOY_ERRORS = [...OPERATION_ERRORS, IncompatibleServerError, ObsoleteTemplateError];
const RELOAD_ERRORS = [...MACHINE_OPERATION_ERRORS, IncompatibleServerError, ObsoleteTemplateError];

/** A deploy's or reload's payload: the server, its operation, and warnings (a deprecated template). */
const DeploymentPayload = (name: string) =>
  builder.objectRef<DeploymentQueued>(name).implement({
    fields: (t) => ({
      server: t.field({ type: ServerNode, resolve: (p) => p.server }),
      operation: t.field({ type: OperationNode, resolve: (p) => p.operation }),
      warnings: t.field({ type: [DeployWarningRef], description: "Empty unless the template is DEPRECATED.", resolve: (p) => p.warnings }),
    }),
  });

const ConfigDriveRef = builder.objectRef<{ "meta-data"?: string; "network-config"?: string; "user-data"?: string }>("ConfigDrive").implement({
  description: "The host's final configuration, in cloud-init's NoCloud seed format.",
  fields: (t) => ({
    metaData: t.string({ description: "instance-id and local-hostname.", resolve: (d) => d["meta-data"] ?? "" }),
    networkConfig: t.string({ description: "Network config version 2 with the server's addresses.", resolve: (d) => d["network-config"] ?? "" }),
    userData: t.string({ nullable: true, resolve: (d) => d["user-data"] ?? null }),
  }),
});

builder.objectFields(ServerNode, (t) => ({
  sourceImageTemplate: t.loadable({
    loaderOptions: UNCACHED_LOADS,
    type: ImageTemplateNode,
    nullable: true,
    description: "The template the server was deployed or reloaded from; null once it is deleted.",
    // A loader per path in the query, so that it reads the columns its selection there needs.
    byPath: true,
    load: (ids: string[], ctx, _args, info) => ctx.domain.templates.loadMany(ctx.viewer, ids, selectedColumns<TemplateRow>(info, [], "id")),
    extensions: reads<ServerRow>("sourceImageTemplateId"),
    resolve: (server) => server.sourceImageTemplateId,
  }),
  configDrive: t.field({
    type: ConfigDriveRef,
    nullable: true,
    extensions: reads<ServerRow>(),
    resolve: (server, _args, ctx) => ctx.domain.servers.configDrive(server),
  }),
}));

builder.objectField(ImageTemplateNode, "deployments", (t) =>
  t.connection(
    {
      type: ServerNode,
      description: "Servers deployed or reloaded from this template.",
      extensions: reads<TemplateRow>(),
      resolve: async (template, args, ctx, info) =>
        toConnection(
          await ctx.domain.servers.list(ctx.viewer, pageArgs(args), { sourceImageTemplateId: template.id }, selectedColumns<ServerRow>(info, NODES, "id")),
        ),
    },
    countedConnection("ImageTemplateDeploymentConnection"),
  ),
);

const DeployVolumeInput = builder.inputType("DeployVolumeInput", {
  fields: (t) => ({
    index: t.int({ required: true }),
    capacityGb: t.int({ required: true, description: "At least the template's capacity for this volume; the extra space is sparse." }),
  }),
});

const DeployImageTemplateInput = builder.inputType("DeployImageTemplateInput", {
  fields: (t) => ({
    imageTemplateId: t.id({ required: false, description: "The template; or give family instead." }),
    family: t.string({ required: false, description: "Deploy the family's newest ACTIVE template (instead of imageTemplateId)." }),
    hostname: t.string({ required: true }),
    domain: t.string({ required: true }),
    kind: t.field({ type: ServerKindEnum, required: false, description: "Default: the template's source server's (VIRTUAL for standard templates, which never go to BARE_METAL)." }),
    datacenter: t.string({ required: false, description: "Default: the template's first datacenter." }),
    cpu: t.int({ required: false, description: "Default: the template's recorded configuration." }),
    memoryMb: t.int({ required: false }),
    volumes: t.field({ type: [DeployVolumeInput], required: false, description: "Capacities by volume index; default: the template's." }),
    userData: t.string({ required: false, description: "cloud-init user-data for the new host." }),
    powerOn: t.boolean({ required: false, description: "Start the host when it is ready. Default: as the template's source server was at capture (see TemplateConfiguration.powerState)." }),
    idempotencyKey: t.string({ required: false, description: "Sending the same key with the same input again (at once or later) returns the first result instead of deploying twice; with other input it is a ConflictError (IDEMPOTENT_PARAMETER_MISMATCH). 1 to 200 characters." }),
  }),
});

builder.mutationField("deployImageTemplate", (t) =>
  t.field({
    type: DeploymentPayload("DeployImageTemplatePayload"),
    description: "Builds a new server from a template; follow the returned DEPLOY operation.",
    errors: { types: DEPLOY_ERRORS },
    args: { input: t.arg({ type: DeployImageTemplateInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      ctx.domain.deployments.deploy(ctx.viewer, {
        ...input,
        imageTemplateId: input.imageTemplateId ? parseGlobalId(String(input.imageTemplateId), "ImageTemplate", "imageTemplateId") : null,
      }),
  }),
);

const ReloadServerInput = builder.inputType("ReloadServerInput", {
  fields: (t) => ({
    serverId: t.id({ required: true }),
    imageTemplateId: t.id({ required: false, description: "The template; or give family instead." }),
    family: t.string({ required: false, description: "Reload from the family's newest ACTIVE template (instead of imageTemplateId)." }),
    userData: t.string({ required: false }),
    powerOn: t.boolean({ required: false, description: "Start the host when it is ready. Default: as the template's source server was at capture." }),
  }),
});

builder.mutationField("reloadServer", (t) =>
  t.field({
    type: DeploymentPayload("ReloadServerPayload"),
    description: "Rewrites a server's volumes from a template; hostname, addresses and MAC stay.",
    errors: { types: RELOAD_ERRORS },
    args: { input: t.arg({ type: ReloadServerInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      ctx.domain.deployments.reload(ctx.viewer, {
        serverId: parseGlobalId(String(input.serverId), "Server", "serverId"),
        imageTemplateId: input.imageTemplateId ? parseGlobalId(String(input.imageTemplateId), "ImageTemplate", "imageTemplateId") : null,
        family: input.family,
        userData: input.userData,
        powerOn: input.powerOn,
      }),
  }),
);

