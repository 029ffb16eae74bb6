// DEPLOY: build a new server from a template: allocate its volumes, restore the captured
// data (verified), grow volumes to the requested sizes, write the host's config drive, and
// start its machine (when the template's server was running, or the request asks). RELOAD: the same data onto an existing server, staged beside its volumes and
// swapped in only once complete, so a failed reload leaves the server as it was.
import { requireServerTransition, transitionServer, GIB } from "../kernel/index.ts";
import type { DeployRun } from "./deployments.ts";
import type { DomainDeps } from "../deps.ts";
import { nocloudSeed, failNewServer, returnMachineTo, startMachine, stopMachine, type NewServerUndo } from "../servers/index.ts";
import type { Lease, Pipeline, OperationRow, Progress } from "../operations/index.ts";
import { restoreVolume } from "./restore.ts";
import type { PowerState } from "../kernel/index.ts";

async function loadPlan(deps: DomainDeps, serverId: string, templateId: string) {
  const server = await deps.db.server.findUniqueOrThrow({ where: { id: serverId }, include: { volumes: { orderBy: { index: "asc" } } } });
  const template = await deps.db.imageTemplate.findUniqueOrThrow({ where: { id: templateId }, include: { volumes: { orderBy: { index: "asc" } } } });
  const pairs = template.volumes.map((source) => ({ source, target: server.volumes.find((v) => v.index === source.index)! }));
  return { server, template, pairs };
}

export const deployPipeline: Pipeline<DeployRun, NewServerUndo> = {
  kind: "DEPLOY",
  cancellableWhileRunning: true,
  holdsTemplate: true,
  deploysTemplate: true,

  async run({ operation, input, deps, signal, progress, remember, lease }) {
    const { server, template, pairs } = await loadPlan(deps, operation.serverId!, operation.imageTemplateId!);

    await progress.step("allocating volumes");
    await remember({ volumeIds: server.volumes.map((v) => v.id) });
    for (const volume of server.volumes) {
      const source = pairs.find((p) => p.target.id === volume.id)?.source;
      // A restored volume starts at the captured length and grows afterwards.
      await deps.volumes.create(volume.id, source ? Number(source.lengthBytes) : volume.capacityGb * GIB);
      if (source) progress.addTotal(Number(source.lengthBytes));
    }

    for (const [i, { source, target }] of pairs.entries()) {
      await progress.step(`restoring volume ${i + 1} of ${pairs.length}`);
      await restoreVolume({ deps, signal, progress, chunks: deps.stores.in(server.datacenter) }, source, template, target.id, `volume ${target.index} of server ${server.fqdn}`);
    }

    await progress.step("adjusting volumes");
    for (const { source, target } of pairs) {
      if (target.capacityGb * GIB > Number(source.lengthBytes)) await deps.volumes.resize(target.id, target.capacityGb * GIB);
    }

    await progress.step("configuring the host");
    await deps.configDrives.write(server.id, nocloudSeed(server, input.userData));

    signal.throwIfAborted();
    const powerOn = input.powerOn ?? true;
    // The new server starts and becomes ACTIVE only under the lease (its new owner fails it otherwise).
    await lease.check();
    if (powerOn) {
      await progress.step("powering on");
      await startMachine(deps, server.id);
    }
    await lease.check();
    await requireServerTransition(deps.db, server.id, "ACTIVE", { powerState: powerOn ? "RUNNING" : "HALTED" });
  },

  async rollback({ operation, undo, deps }) {
    await failNewServer(deps, operation, undo);
  },
};

interface ReloadUndo {
  powerStateBefore: PowerState;
  stagedVolumeIds: string[];
  /** Recorded just before the first volume is swapped: from here on the reload can only go forward. */
  swapping: boolean;
}

const staged = (volumeId: string) => `${volumeId}_reload`;

/**
 * The reload's last part, from its point of no return: swap in every staged volume that is
 * still staged (a rename replaces one at once), then configure and start the host. Also
 * what a crash after the point of no return finishes on the next start.
 */
async function finishReload(deps: DomainDeps, operation: OperationRow, run: DeployRun, lease: Lease, progress?: Progress): Promise<void> {
  const { server, template, pairs } = await loadPlan(deps, operation.serverId!, operation.imageTemplateId!);
  // Under the lease only: an owner that lost it leaves the swap to the new owner's rollback.
  await lease.check();
  for (const { target } of pairs) {
    if (await deps.volumes.exists(staged(target.id))) await deps.volumes.replace(staged(target.id), target.id);
  }
  await progress?.step("configuring the host");
  await deps.configDrives.write(server.id, nocloudSeed(server, run.userData));
  await lease.fenced([deps.db.server.update({ where: { id: server.id }, data: { os: JSON.parse(template.configuration).os, sourceImageTemplateId: template.id } })]);
  const powerOn = run.powerOn ?? true;
  if (powerOn) {
    await progress?.step("powering on");
    await lease.check();
    await startMachine(deps, server.id);
  }
  await lease.fenced([transitionServer(deps.db, { id: server.id }, "ACTIVE", { powerState: powerOn ? "RUNNING" : "HALTED" }, ["RELOADING"])]);
}

export const reloadPipeline: Pipeline<DeployRun, ReloadUndo> = {
  kind: "RELOAD",
  cancellableWhileRunning: true,
  holdsTemplate: true,

  async run({ operation, input, deps, signal, progress, remember, lease }) {
    const { server, template, pairs } = await loadPlan(deps, operation.serverId!, operation.imageTemplateId!);

    await progress.step("powering off");
    // remember() is fenced: no power change once the lease is gone.
    await remember({ powerStateBefore: server.powerState, stagedVolumeIds: pairs.map((p) => staged(p.target.id)), swapping: false });
    await stopMachine(deps, server.id);
    await lease.fenced([deps.db.server.update({ where: { id: server.id }, data: { powerState: "HALTED" } })]);

    await progress.step("allocating volumes");
    for (const { source, target } of pairs) {
      await deps.volumes.remove(staged(target.id));
      await deps.volumes.create(staged(target.id), Number(source.lengthBytes));
      progress.addTotal(Number(source.lengthBytes));
    }
    // Restored and verified beside the server's own volumes, which stay untouched.
    for (const [i, { source, target }] of pairs.entries()) {
      await progress.step(`restoring volume ${i + 1} of ${pairs.length}`);
      await restoreVolume({ deps, signal, progress, chunks: deps.stores.in(server.datacenter) }, source, template, staged(target.id), `volume ${target.index} of server ${server.fqdn}`);
    }

    await progress.step("adjusting volumes");
    for (const { target } of pairs) await deps.volumes.resize(staged(target.id), target.capacityGb * GIB);
    signal.throwIfAborted();
    await progress.step("swapping volumes");
    // The point of no return: once recorded, a failure or crash finishes the swap.
    await remember({ swapping: true });
    await finishReload(deps, operation, input, lease, progress);
  },

  async rollback({ operation, input, undo, deps, lease }) {
    if (undo.swapping) {
      await finishReload(deps, operation, input, lease);
      return "completed";
    }
    for (const id of undo.stagedVolumeIds ?? []) await deps.volumes.remove(id);
    const serverId = operation.serverId ?? "";
    const { reached, failure } = await returnMachineTo(deps, serverId, undo.powerStateBefore);
    if (failure) deps.log.warn("the server's machine did not start again after its reload ended", { serverId, error: failure.message });
    await transitionServer(deps.db, { id: serverId }, "ACTIVE", reached ? { powerState: reached } : {}, ["RELOADING"]);
  },
};
