// Servers: creating (PROVISION), powering, deleting, and reading them.
import { Prisma } from "../../db/prisma.ts";
import {
  INITIAL,
  findDatacenter,
  SERVER_LIMITS,
  FieldProblems,
  ValidationError,
  NotFoundError,
  inIdOrder,
  keyset,
  ALL_COLUMNS,
  type Columns,
  toPage,
  type Page,
  type PageArgs,
  type Tx,
} from "../kernel/index.ts";
import type { DomainDeps, Viewer } from "../deps.ts";
import { allOf, columnsSql, containsText, joinSql, selectPage, selectRows, sql } from "../../db/raw-sql.ts";
import { addressesFor, nextFreeOrdinal } from "./network.ts";
import { machinesFor } from "./machine.ts";
import type { OperationSnapshot, Operations, QueuePlan, ServerLockRequest } from "../operations/index.ts";
import type { ServerKind, ServerStatus, VolumeRole } from "../kernel/index.ts";
import {
  checkCapacity,
  checkDatacenter,
  checkDomain,
  checkFqdnLength,
  checkHostname,
  checkOperatingSystem,
  checkRange,
  checkUserData,
} from "./validation.ts";

export type ServerRow = Prisma.ServerGetPayload<object>;

/** Most console lines one request may read. */
export const CONSOLE_MAX_LINES = 1000;

function checkLastLines(lastLines: number): void {
  if (!Number.isInteger(lastLines) || lastLines < 0 || lastLines > CONSOLE_MAX_LINES) {
    throw ValidationError.field("lastLines", `must be a whole number from 0 to ${CONSOLE_MAX_LINES}`);
  }
}
/** What the API shows of a volume, and the server it belongs to. */
export type VolumeView = Pick<Prisma.VolumeGetPayload<object>, "serverId" | "index" | "role" | "capacityGb">;
const VOLUME_VIEW_COLUMNS = ["serverId", "index", "role", "capacityGb"] as const satisfies ReadonlyArray<keyof VolumeView>;
const volumeViewColumns = columnsSql(VOLUME_VIEW_COLUMNS);

export interface VolumeSpec {
  role: VolumeRole;
  capacityGb: number;
}

export interface CreateServerInput {
  kind: ServerKind;
  hostname: string;
  domain: string;
  datacenter: string;
  cpu: number;
  memoryMb: number;
  os: string;
  volumes: VolumeSpec[];
  /** cloud-init user-data for the host's config drive. */
  userData?: string | null;
}

export interface ProvisionInput {
  /** Fill data volumes with realistic demo content (demo servers only). */
  demoContent?: boolean;
  userData?: string | null;
}

export interface ServerFilter {
  status?: ServerStatus[] | null;
  kind?: ServerKind | null;
  datacenter?: string | null;
  hostnameContains?: string | null;
  sourceImageTemplateId?: string | null;
}

export interface ServerWithOperation {
  server: ServerRow;
  operation: OperationSnapshot;
}

/**
 * The error for a fqdn another server of the account already has, or null; call inside the
 * transaction that creates the server (it returns the error rather than throwing: see
 * docs/decisions/concurrency.md, the transaction helper).
 */
export async function fqdnTaken(tx: Prisma.TransactionClient, accountId: string, fqdn: string): Promise<ValidationError | null> {
  const clash = await tx.server.findFirst({ where: { accountId, fqdn }, select: { id: true } });
  return clash ? ValidationError.field("hostname", `${fqdn} is already used by another server in this account`) : null;
}

/** What a new server is made of, from an order (createServer) or a template (deploy). */
export interface NewServer extends Omit<CreateServerInput, "volumes"> {
  /** In index order, the boot volume first. */
  volumes: Array<VolumeSpec & { index: number }>;
  /** The operation that builds it: it holds the server's lock from the start. */
  operationId: string;
  sourceImageTemplateId?: string;
}

/**
 * How an operation that makes a server is queued (createServer, deploy): its fqdn free in
 * the account, and room for one more server and one more operation.
 */
export function newServerPlan(viewer: Viewer, kind: "PROVISION" | "DEPLOY", spec: Pick<NewServer, "hostname" | "domain">): QueuePlan {
  return {
    kind,
    quotas: ["servers", "concurrentOperations"],
    check: (tx) => fqdnTaken(tx, viewer.accountId, `${spec.hostname}.${spec.domain}`),
  };
}

/**
 * Inserts a new server (PROVISIONING, HALTED, locked by the operation that builds it) with
 * its volumes and its own addresses. Call from the `prepare` of an operation queued with
 * `newServerPlan`, which refuses a taken fqdn and a full quota first.
 */
export async function insertServer(
  tx: Tx,
  viewer: Viewer,
  { ids, hosts }: Pick<DomainDeps, "ids" | "hosts">,
  spec: NewServer,
): Promise<ServerRow> {
  const fqdn = `${spec.hostname}.${spec.domain}`;
  const dc = findDatacenter(spec.datacenter)!;
  return tx.server.create({
    data: {
      id: ids.next("srv"),
      accountId: viewer.accountId,
      kind: spec.kind,
      hostname: spec.hostname,
      domain: spec.domain,
      fqdn,
      datacenter: dc.code,
      cpu: spec.cpu,
      memoryMb: spec.memoryMb,
      os: spec.os,
      powerState: "HALTED",
      status: INITIAL.server,
      activeOperationId: spec.operationId,
      host: await hosts.place(tx, spec.kind),
      sourceImageTemplateId: spec.sourceImageTemplateId ?? null,
      ...addressesFor(dc, await nextFreeOrdinal(tx, dc)),
      volumes: { create: spec.volumes.map((v) => ({ id: ids.next("vol"), index: v.index, role: v.role, capacityGb: v.capacityGb })) },
    },
  });
}

type ServerAction = Omit<ServerLockRequest, "serverId" | "field">;

/** What each server action needs of the server, and what it makes of it while it runs. */
const SERVER_ACTIONS = {
  powerOn: { kind: "POWER_ON", allowedStatuses: ["ACTIVE"], requiredPowerState: "HALTED" },
  powerOff: { kind: "POWER_OFF", allowedStatuses: ["ACTIVE"], requiredPowerState: "RUNNING" },
  // Deleting is always allowed by the quotas: it is how an account gets back under them.
  delete: { kind: "DELETE_SERVER", allowedStatuses: ["ACTIVE", "FAILED"], statusWhileRunning: "DELETING", quotas: [] },
} satisfies Record<string, ServerAction>;

export class Servers {
  private readonly deps: DomainDeps;
  private readonly operations: Operations;
  constructor(
    deps: DomainDeps,
    operations: Operations,
  ) {
    this.deps = deps;
    this.operations = operations;
  }

  async create(viewer: Viewer, input: CreateServerInput, provision: ProvisionInput = {}): Promise<ServerWithOperation> {
    this.validate(input);
    const { operation, made: server } = await this.operations.queue(viewer, newServerPlan(viewer, "PROVISION", input), async (tx, operationId) => {
      const { userData, ...spec } = input;
      const server = await insertServer(tx, viewer, this.deps, { ...spec, operationId, volumes: orderVolumes(input.volumes) });
      const run: ProvisionInput = { ...provision, ...(userData ? { userData } : {}) };
      return { serverId: server.id, input: run, made: server };
    });
    return { server, operation };
  }

  private validate(input: CreateServerInput): void {
    const problems = new FieldProblems();
    checkHostname(problems, "hostname", input.hostname);
    checkDomain(problems, "domain", input.domain);
    checkFqdnLength(problems, "domain", input.hostname, input.domain);
    checkDatacenter(problems, "datacenter", input.datacenter);
    checkRange(problems, "cpu", input.cpu, SERVER_LIMITS.cpu);
    checkRange(problems, "memoryMb", input.memoryMb, SERVER_LIMITS.memoryMb);
    checkOperatingSystem(problems, "os", input.os, this.deps.catalog);
    checkUserData(problems, "userData", input.userData);
    if (input.volumes.length === 0 || input.volumes.length > SERVER_LIMITS.volumesPerServer.max) {
      problems.add("volumes", `must list 1 to ${SERVER_LIMITS.volumesPerServer.max} volumes`);
    }
    const boots = input.volumes.filter((v) => v.role === "BOOT");
    if (input.volumes.length > 0 && boots.length !== 1) {
      problems.add("volumes", `must have exactly one BOOT volume, found ${boots.length}`);
    }
    const os = this.deps.catalog.findOperatingSystem(input.os);
    input.volumes.forEach((volume, i) => {
      checkCapacity(problems, `volumes[${i}].capacityGb`, volume.capacityGb);
      if (volume.role === "BOOT" && os && volume.capacityGb < os.minBootGb && volume.capacityGb >= 1) {
        problems.add(`volumes[${i}].capacityGb`, `${os.name} needs a boot volume of at least ${os.minBootGb} GiB`);
      }
    });
    problems.throwIfAny();
  }

  powerOn(viewer: Viewer, serverId: string): Promise<ServerWithOperation> {
    return this.queue(viewer, serverId, SERVER_ACTIONS.powerOn);
  }

  powerOff(viewer: Viewer, serverId: string): Promise<ServerWithOperation> {
    return this.queue(viewer, serverId, SERVER_ACTIONS.powerOff);
  }

  delete(viewer: Viewer, serverId: string): Promise<ServerWithOperation> {
    return this.queue(viewer, serverId, SERVER_ACTIONS.delete);
  }

  /** What runs the machines of servers of `kind`: bare metal is simulated, whatever runs virtual servers. */
  machineKind(kind: ServerKind): "SIMULATED" | "QEMU" {
    return machinesFor(this.deps, kind).kind === "qemu" ? "QEMU" : "SIMULATED";
  }

  /** The last lines of a server's serial console (the caller has loaded the server as the viewer's). */
  async consoleTail(server: ServerRow, lastLines: number): Promise<string[]> {
    checkLastLines(lastLines);
    return machinesFor(this.deps, server.kind).consoleTail(server.id, lastLines);
  }

  /** The server's last `lastLines` console lines, then each line as the machine writes it, until the subscriber leaves. */
  async *followConsole(viewer: Viewer, serverId: string, lastLines = 0): AsyncGenerator<string> {
    checkLastLines(lastLines);
    const server = await this.deps.db.server.findFirst({ where: { id: serverId, accountId: viewer.accountId }, select: { id: true, kind: true } });
    if (!server) throw new NotFoundError("Server", serverId, "id");
    const stop = new AbortController();
    try {
      yield* machinesFor(this.deps, server.kind).consoleFollow(server.id, stop.signal, lastLines);
    } finally {
      stop.abort();
    }
  }

  private async queue(viewer: Viewer, serverId: string, action: ServerAction): Promise<ServerWithOperation> {
    const operation = await this.operations.queueOnServer(viewer, { serverId, field: "id", ...action });
    return { server: await this.getOrThrow(viewer, serverId), operation };
  }

  private async getOrThrow(viewer: Viewer, serverId: string): Promise<ServerRow> {
    return this.deps.db.server.findFirstOrThrow({ where: { id: serverId, accountId: viewer.accountId } });
  }

  async loadMany(viewer: Viewer, ids: readonly string[]): Promise<(ServerRow | null)[]> {
    if (ids.length === 0) return [];
    const rows = await selectRows<ServerRow>(
      this.deps.db,
      sql`SELECT * FROM "Server" WHERE "accountId" = ${viewer.accountId} AND "id" IN (${joinSql(ids)})`,
    );
    return inIdOrder(ids, rows);
  }

  /** A page of the viewer's servers; its rows hold `columns` only (the API reads no others). */
  async list(viewer: Viewer, args: PageArgs, filter: ServerFilter = {}, columns: Columns<ServerRow> = ALL_COLUMNS): Promise<Page<ServerRow>> {
    const page = keyset(args, this.deps.config.maxPageSize, "asc");
    const where = allOf([
      sql`"accountId" = ${viewer.accountId}`,
      ...(filter.status?.length ? [sql`"status" IN (${joinSql(filter.status)})`] : []),
      ...(filter.kind ? [sql`"kind" = ${filter.kind}`] : []),
      ...(filter.datacenter ? [sql`"datacenter" = ${filter.datacenter}`] : []),
      ...(filter.hostnameContains ? [containsText(sql`"hostname"`, filter.hostnameContains)] : []),
      ...(filter.sourceImageTemplateId ? [sql`"sourceImageTemplateId" = ${filter.sourceImageTemplateId}`] : []),
    ]);
    const { rows, count } = await selectPage<ServerRow>(this.deps.db, "Server", columnsSql(columns, Prisma.ServerScalarFieldEnum), where, page);
    return toPage(rows, page.size, count);
  }

  /** The NoCloud files of the server's config drive, or null before it has one. */
  configDrive(server: ServerRow) {
    return this.deps.configDrives.read(server.id);
  }

  /** Volumes of many servers in one statement, in index order. */
  async volumesOf(serverIds: readonly string[]): Promise<VolumeView[]> {
    if (serverIds.length === 0) return [];
    return selectRows<VolumeView>(
      this.deps.db,
      sql`SELECT ${volumeViewColumns} FROM "Volume" WHERE "serverId" IN (${joinSql(serverIds)}) ORDER BY "serverId", "index"`,
    );
  }
}

/** The boot volume is index 0; the others follow in the order given. */
function orderVolumes(volumes: VolumeSpec[]): Array<VolumeSpec & { index: number }> {
  const boot = volumes.filter((v) => v.role === "BOOT");
  const rest = volumes.filter((v) => v.role !== "BOOT");
  return [...boot, ...rest].map((v, index) => ({ role: v.role, capacityGb: v.capacityGb, index }));
}
