// POWER_ON and POWER_OFF: the machine is started, or asked to power off (ACPI, forced after
// the deadline), through the hypervisor; the record follows what the machine did.
import type { Pipeline } from "../operations/index.ts";
import type { PowerState } from "../kernel/index.ts";
import { bringMachineTo, truePowerState } from "./machine.ts";

function powerPipeline(kind: "POWER_ON" | "POWER_OFF", target: PowerState, step: string): Pipeline<unknown, object> {
  return {
    kind,
    cancellableWhileRunning: true,
    async run({ operation, deps, signal, progress, lease }) {
      await progress.step(step);
      signal.throwIfAborted();
      // No power change under a lost lease: the operation's new owner decides.
      await lease.check();
      await bringMachineTo(deps, operation.serverId!, target);
      await lease.fenced([deps.db.server.update({ where: { id: operation.serverId! }, data: { powerState: target } })]);
    },
    // Cancelled or failed halfway, the machine may have changed anyway: record its true state.
    async rollback({ operation, deps }) {
      const server = await deps.db.server.findUnique({ where: { id: operation.serverId ?? "" } });
      if (!server) return;
      const powerState = await truePowerState(deps, server.id, server.powerState);
      await deps.db.server.update({ where: { id: server.id }, data: { powerState } });
    },
  };
}

export const powerOnPipeline = powerPipeline("POWER_ON", "RUNNING", "starting");
export const powerOffPipeline = powerPipeline("POWER_OFF", "HALTED", "shutting down");
