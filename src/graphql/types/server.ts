// Server, its volumes and network, the servers list, and server mutations.
import { GIB } from "../../domain/kernel/index.ts";
import type { SnapshotRow } from "../../domain/operations/index.ts";
import type { ServerRow, VolumeView } from "../../domain/servers/index.ts";
import { builder, UNCACHED_LOADS } from "../builder.ts";
import { countedConnection, NODES, pageArgs, toConnection } from "../connections.ts";
import { parseGlobalId } from "../ids.ts";
import { reads, selectedColumns } from "../selected-columns.ts";
import { MachineKindEnum, PowerStateEnum, ServerKindEnum, ServerStatusEnum, VolumeRoleEnum } from "./enums.ts";
import { MACHINE_OPERATION_ERRORS, OPERATION_ERRORS } from "./errors.ts";
import { OperationNode } from "./operation.ts";

export const ServerNode = builder.loadableNode("Server", {
  id: { resolve: (server: ServerRow) => server.id },
  isTypeOf: (value) => typeof (value as { id?: unknown }).id === "string" && (value as { id: string }).id.startsWith("srv_"),
  loaderOptions: UNCACHED_LOADS,
  load: async (ids: string[], ctx) => (await ctx.domain.servers.loadMany(ctx.viewer, ids)) as ServerRow[],
  fields: (t) => ({
    kind: t.field({ type: ServerKindEnum, extensions: reads<ServerRow>("kind"), resolve: (s) => s.kind }),
    status: t.field({ type: ServerStatusEnum, extensions: reads<ServerRow>("status"), resolve: (s) => s.status }),
    powerState: t.field({ type: PowerStateEnum, extensions: reads<ServerRow>("powerState"), resolve: (s) => s.powerState }),
    hostname: t.exposeString("hostname"),
    domain: t.exposeString("domain"),
    fqdn: t.exposeString("fqdn"),
    datacenter: t.exposeString("datacenter", { description: "Datacenter code, e.g. dal10 (see the datacenters query)." }),
    host: t.exposeString("host", {
      nullable: true,
      description:
        "The compute host that runs this server's machine (IMPRINT_COMPUTE_HOST of the instance, with the QEMU hypervisor): only that instance runs its operations. Null for simulated machines (the simulated hypervisor, and bare metal), which any instance runs.",
    }),
    machine: t.field({
      type: MachineKindEnum,
      description: "What runs this server's machine: QEMU, or SIMULATED (bare metal always is).",
      extensions: reads<ServerRow>("kind"),
      resolve: (s, _args, ctx) => ctx.domain.servers.machineKind(s.kind),
    }),
    cpu: t.exposeInt("cpu"),
    memoryMb: t.exposeInt("memoryMb"),
    os: t.exposeString("os", { description: "Operating system reference code, e.g. UBUNTU_24_04_64." }),
    console: t.stringList({
      description: "The last lines of the server's serial console (its machine's boot and what the guest prints). Follow it live with the serverConsole subscription.",
      args: { lastLines: t.arg.int({ required: false, defaultValue: 50, description: "0 to 1000." }) },
      extensions: reads<ServerRow>(),
      resolve: (server, args, ctx) => ctx.domain.servers.consoleTail(server, args.lastLines ?? 50),
    }),
    network: t.field({
      type: NetworkRef,
      nullable: true,
      description: "Null once the addresses are released (a FAILED or deleted server).",
      extensions: reads<ServerRow>("privateIpv4", "publicIpv4", "macAddress"),
      resolve: (s) =>
        s.privateIpv4 && s.publicIpv4 && s.macAddress
          ? { privateIpv4: s.privateIpv4, publicIpv4: s.publicIpv4, macAddress: s.macAddress }
          : null,
    }),
    volumes: t.loadableGroup({
      loaderOptions: UNCACHED_LOADS,
      type: VolumeRef,
      load: (serverIds: string[], ctx) => ctx.domain.servers.volumesOf(serverIds),
      group: (volume) => volume.serverId,
      extensions: reads<ServerRow>(),
      resolve: (server) => server.id,
    }),
    activeOperation: t.field({
      type: OperationNode,
      nullable: true,
      description: "The operation that holds this server now, if any.",
      extensions: reads<ServerRow>("activeOperationId"),
      resolve: (s) => s.activeOperationId,
    }),
    latestOperation: t.loadable({
      loaderOptions: UNCACHED_LOADS,
      type: OperationNode,
      nullable: true,
      // A loader per path in the query, so that it reads the columns its selection there needs.
      byPath: true,
      load: (serverIds: string[], ctx, _args, info) => ctx.domain.operations.latestForServers(serverIds, selectedColumns<SnapshotRow>(info, [], "id")),
      extensions: reads<ServerRow>(),
      resolve: (s) => s.id,
    }),
    operations: t.connection(
      {
        type: OperationNode,
        description: "This server's operations, newest first.",
        extensions: reads<ServerRow>(),
        resolve: async (server, args, ctx, info) =>
          toConnection(await ctx.domain.operations.list(ctx.viewer, pageArgs(args), { serverId: server.id }, selectedColumns<SnapshotRow>(info, NODES, "id"))),
      },
      countedConnection("ServerOperationConnection"),
    ),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
  }),
});

const NetworkRef = builder.objectRef<{ privateIpv4: string; publicIpv4: string; macAddress: string }>("ServerNetwork").implement({
  description: "Addresses allocated from the datacenter's pools; unique within the datacenter.",
  fields: (t) => ({
    privateIpv4: t.exposeString("privateIpv4"),
    publicIpv4: t.exposeString("publicIpv4"),
    macAddress: t.exposeString("macAddress"),
  }),
});

const VolumeRef = builder.objectRef<VolumeView>("Volume").implement({
  fields: (t) => ({
    index: t.exposeInt("index"),
    role: t.field({ type: VolumeRoleEnum, resolve: (v) => v.role }),
    capacityGb: t.exposeInt("capacityGb", { description: "Capacity in GiB." }),
    capacityBytes: t.field({ type: "ByteCount", resolve: (v) => v.capacityGb * GIB }),
  }),
});

builder.objectField(OperationNode, "server", (t) =>
  t.field({
    type: ServerNode,
    nullable: true,
    description: "The server the operation concerns; null once that server is deleted.",
    extensions: reads<SnapshotRow>("serverId"),
    resolve: (op) => op.serverId,
  }),
);

const ServerFilter = builder.inputType("ServerFilter", {
  fields: (t) => ({
    status: t.field({ type: [ServerStatusEnum], required: false }),
    kind: t.field({ type: ServerKindEnum, required: false }),
    datacenter: t.string({ required: false }),
    hostnameContains: t.string({ required: false }),
  }),
});

builder.queryField("servers", (t) =>
  t.connection(
    {
      type: ServerNode,
      description: "The viewer's servers, oldest first.",
      args: { filter: t.arg({ type: ServerFilter, required: false }) },
      resolve: async (_root, args, ctx, info) =>
        toConnection(await ctx.domain.servers.list(ctx.viewer, pageArgs(args), args.filter ?? {}, selectedColumns<ServerRow>(info, NODES, "id"))),
    },
    countedConnection("ServerConnection"),
  ),
);

// --- mutations ---

const VolumeInput = builder.inputType("VolumeInput", {
  fields: (t) => ({
    role: t.field({ type: VolumeRoleEnum, required: true }),
    capacityGb: t.int({ required: true, description: "Capacity in GiB, 1 to 2000." }),
  }),
});

const CreateServerInput = builder.inputType("CreateServerInput", {
  fields: (t) => ({
    kind: t.field({ type: ServerKindEnum, required: true, defaultValue: "VIRTUAL" }),
    hostname: t.string({ required: true, description: "One RFC 1123 label, e.g. web01." }),
    domain: t.string({ required: true, description: "e.g. example.com; the fqdn must be unique in the account." }),
    datacenter: t.string({ required: true }),
    cpu: t.int({ required: true }),
    memoryMb: t.int({ required: true }),
    os: t.string({ required: true }),
    volumes: t.field({ type: [VolumeInput], required: true, description: "Exactly one BOOT volume; it becomes index 0." }),
    userData: t.string({ required: false, description: "cloud-init user-data for the host's config drive (at most 64 KiB)." }),
  }),
});

/** A payload of a server and the operation that changes it. */
export const ServerOperationPayload = (name: string) =>
  builder.objectRef<{ server: ServerRow; operation: unknown }>(name).implement({
    fields: (t) => ({
      server: t.field({ type: ServerNode, resolve: (p) => p.server }),
      operation: t.field({ type: OperationNode, resolve: (p) => p.operation as never }),
    }),
  });

const ServerIdInput = (name: string) =>
  builder.inputType(name, { fields: (t) => ({ id: t.id({ required: true, description: "The server's ID." }) }) });

builder.mutationField("createServer", (t) =>
  t.field({
    type: ServerOperationPayload("CreateServerPayload"),
    description: "Orders a new server; follow the returned PROVISION operation.",
    errors: { types: OPERATION_ERRORS },
    args: { input: t.arg({ type: CreateServerInput, required: true }) },
    resolve: (_root, { input }, ctx) => ctx.domain.servers.create(ctx.viewer, { ...input, kind: input.kind ?? "VIRTUAL" }),
  }),
);

for (const [field, payload, inputName, action] of [
  ["powerOnServer", "PowerOnServerPayload", "PowerOnServerInput", "powerOn"],
  ["powerOffServer", "PowerOffServerPayload", "PowerOffServerInput", "powerOff"],
  ["deleteServer", "DeleteServerPayload", "DeleteServerInput", "delete"],
] as const) {
  const inputType = ServerIdInput(inputName);
  builder.mutationField(field, (t) =>
    t.field({
      type: ServerOperationPayload(payload),
      errors: { types: MACHINE_OPERATION_ERRORS },
      args: { input: t.arg({ type: inputType, required: true }) },
      resolve: (_root, { input }, ctx) => ctx.domain.servers[action](ctx.viewer, parseGlobalId(String(input.id), "Server", "id")),
    }),
  );
}

builder.subscriptionField("serverConsole", (t) =>
  t.field({
    type: "String",
    description: "The server's serial console: its last lastLines lines, then line by line as its machine writes it.",
    args: {
      id: t.arg.id({ required: true }),
      lastLines: t.arg.int({ required: false, defaultValue: 0, description: "Lines already written to send first, 0 to 1000 (as tail -n N -f)." }),
    },
    subscribe: (_root, args, ctx) => ctx.domain.servers.followConsole(ctx.viewer, parseGlobalId(String(args.id), "Server", "id"), args.lastLines ?? 0),
    resolve: (line) => line as string,
  }),
);
