// DELETE_SERVER: cut the machine off, remove the volume files, release the addresses and the record.
import { transitionServer } from "../kernel/index.ts";
import type { Pipeline } from "../operations/index.ts";
import { removeMachine } from "./machine.ts";

export const deleteServerPipeline: Pipeline<unknown, object> = {
  kind: "DELETE_SERVER",
  // Halfway through, some volumes are gone: there is nothing to go back to.
  cancellableWhileRunning: false,

  async run({ operation, deps, progress, lease }) {
    const server = await deps.db.server.findUniqueOrThrow({ where: { id: operation.serverId! }, include: { volumes: true } });
    await progress.step("powering off");
    // Each step only under the lease: an owner that lost it leaves the rest to the new owner.
    await lease.check();
    await removeMachine(deps, server.id);
    await lease.fenced([deps.db.server.update({ where: { id: server.id }, data: { powerState: "HALTED" } })]);
    await progress.step("removing volumes");
    await lease.check();
    for (const volume of server.volumes) await deps.volumes.remove(volume.id);
    await deps.configDrives.remove(server.id);
    await progress.step("releasing addresses");
    // Cascades to the volumes; operations keep their history with serverId set to null.
    await lease.fenced([deps.db.server.delete({ where: { id: server.id } })]);
  },

  // A delete that stopped halfway leaves a server that may miss volumes: FAILED, and
  // deletable again.
  async rollback({ operation, deps }) {
    await transitionServer(deps.db, { id: operation.serverId ?? "" }, "FAILED", { powerState: "HALTED" });
  },
};
