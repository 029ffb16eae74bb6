// A server's machine, through the hypervisor port: start it from the server's record,
// stop it (ACPI, then forced after the configured deadline), and record what it really is.
// Pipelines call these and then write `powerState`; nothing else talks to the hypervisor.
import type { Hypervisor } from "../../hypervisor/hypervisor.ts";
import type { DomainDeps } from "../deps.ts";
import { MachineError } from "../kernel/index.ts";
import type { PowerState, ServerKind } from "../kernel/index.ts";

type MachineDeps = Pick<DomainDeps, "hypervisor" | "bareMetal">;

/** The adapter that runs servers of `kind`: bare metal is simulated, whatever runs virtual servers. */
export function machinesFor(deps: MachineDeps, kind: ServerKind): Hypervisor {
  return kind === "BARE_METAL" ? deps.bareMetal : deps.hypervisor;
}

/** The adapter of a server known by its ID; null when the server is gone. */
async function machinesOf(deps: DomainDeps, serverId: string): Promise<Hypervisor | null> {
  const server = await deps.db.server.findUnique({ where: { id: serverId }, select: { kind: true } });
  return server ? machinesFor(deps, server.kind) : null;
}

/** Every adapter, each once (one when bare metal and virtual servers share the simulated one). */
function allMachines(deps: MachineDeps): Hypervisor[] {
  return [...new Set([deps.hypervisor, deps.bareMetal])];
}

async function loadServer(deps: DomainDeps, serverId: string) {
  return deps.db.server.findUniqueOrThrow({ where: { id: serverId }, include: { volumes: { orderBy: { index: "asc" } } } });
}

export async function startMachine(deps: DomainDeps, serverId: string): Promise<void> {
  const server = await loadServer(deps, serverId);
  try {
    await machinesFor(deps, server.kind).start({
      serverId: server.id,
      name: server.fqdn,
      cpu: server.cpu,
      memoryMb: server.memoryMb,
      macAddress: server.macAddress,
      volumePaths: server.volumes.map((volume) => deps.volumes.pathOf(volume.id)),
      configDrivePath: deps.configDrives.pathOf(server.id),
    });
  } catch (error) {
    throw new MachineError(`the machine of server ${server.fqdn} did not start: ${(error as Error).message}`);
  }
}

/** ACPI power-off, forced after the configured deadline; once asked, it is not cancelled. */
export async function stopMachine(deps: DomainDeps, serverId: string): Promise<void> {
  try {
    const machines = (await machinesOf(deps, serverId)) ?? deps.hypervisor;
    const { how } = await machines.stop(serverId, { timeoutMs: deps.config.hypervisor.shutdownTimeoutMs });
    if (how === "forced") deps.log.warn("a guest did not power off within its deadline and was forced off", { serverId });
  } catch (error) {
    throw new MachineError(`the machine of server ${await nameOf(deps, serverId)} did not stop: ${(error as Error).message}`);
  }
}

/** Stopped at once and forgotten (console included), as when a server is deleted or a new one failed. */
export async function removeMachine(deps: DomainDeps, serverId: string): Promise<void> {
  try {
    // A server already gone may have had its machine on either adapter.
    const machines = await machinesOf(deps, serverId);
    for (const adapter of machines ? [machines] : allMachines(deps)) await adapter.remove(serverId);
  } catch (error) {
    throw new MachineError(`the machine of server ${await nameOf(deps, serverId)} could not be removed: ${(error as Error).message}`);
  }
}

async function nameOf(deps: DomainDeps, serverId: string): Promise<string> {
  const server = await deps.db.server.findUnique({ where: { id: serverId }, select: { fqdn: true } });
  return server?.fqdn ?? "(deleted)";
}

/** Starts or stops the machine so that it is in `powerState`. */
export async function bringMachineTo(deps: DomainDeps, serverId: string, powerState: PowerState): Promise<void> {
  if (powerState === "RUNNING") await startMachine(deps, serverId);
  else await stopMachine(deps, serverId);
}

/**
 * After an operation took the machine offline: back to `powerState` (when one was recorded).
 * A machine that will not start does not leave the server stuck: `reached` is its true state
 * (HALTED) and `failure` says why, for the caller to report.
 */
export async function returnMachineTo(
  deps: DomainDeps,
  serverId: string,
  powerState: PowerState | undefined,
): Promise<{ reached: PowerState | undefined; failure: Error | null }> {
  if (!powerState) return { reached: undefined, failure: null };
  try {
    await bringMachineTo(deps, serverId, powerState);
    return { reached: powerState, failure: null };
  } catch (error) {
    return { reached: await truePowerState(deps, serverId, "HALTED"), failure: error as Error };
  }
}

/** The power state the machine really has (the record's when the adapter does not know it). */
export async function truePowerState(deps: DomainDeps, serverId: string, recorded: PowerState): Promise<PowerState> {
  const state = await ((await machinesOf(deps, serverId)) ?? deps.hypervisor).state(serverId);
  return state === null ? recorded : state === "RUNNING" ? "RUNNING" : "HALTED";
}

/**
 * On start: every server here (compute-hosts.ts) not in an operation gets its machine's true power state (a guest
 * that powered itself off, or died, while imprint was down is HALTED; one found running is
 * RUNNING, never started twice), and a machine whose server is gone or FAILED is cut off.
 */
export async function reconcileMachines(deps: DomainDeps): Promise<void> {
  const servers = await deps.db.server.findMany({ where: deps.hosts.serversHere(), select: { id: true, kind: true, fqdn: true, status: true, powerState: true, activeOperationId: true } });
  for (const server of servers) {
    if (server.activeOperationId) continue; // its operation's recovery decides
    if (server.status === "FAILED") {
      if ((await machinesFor(deps, server.kind).state(server.id)) === "RUNNING") await removeMachine(deps, server.id);
      continue;
    }
    const truth = await truePowerState(deps, server.id, server.powerState);
    if (truth === server.powerState) continue;
    const { count } = await deps.db.server.updateMany({ where: { id: server.id, activeOperationId: null }, data: { powerState: truth } });
    if (count) deps.log.warn("a server's machine was not in its recorded power state; the record now says what it is", { server: server.fqdn, recorded: server.powerState, actual: truth });
  }
  // Every server's, not only those here: a data folder shared with other hosts shows their machines too.
  const known = new Set((await deps.db.server.findMany({ select: { id: true } })).map((server) => server.id));
  const running = (await Promise.all(allMachines(deps).map((adapter) => adapter.running()))).flat();
  for (const id of running) {
    if (known.has(id)) continue;
    deps.log.warn("a machine of a server that no longer exists was running; it is cut off", { serverId: id });
    await removeMachine(deps, id);
  }
}
