// POWER_ON and POWER_OFF. There is no hypervisor behind the local driver: the power state
// is the server's record, changed by the runner like every other long action.
import type { Pipeline } from "../operations/index.js";
import type { PowerState } from "../kernel/index.js";

function powerPipeline(kind: "POWER_ON" | "POWER_OFF", target: PowerState, step: string): Pipeline<unknown, object> {
  return {
    kind,
    cancellableWhileRunning: true,
    async run({ operation, deps, signal, progress }) {
      await progress.step(step);
      signal.throwIfAborted();
      await deps.db.server.update({ where: { id: operation.serverId! }, data: { powerState: target } });
    },
    // Nothing to undo: the power state changes in the pipeline's last write or not at all.
    async rollback() {},
  };
}

export const powerOnPipeline = powerPipeline("POWER_ON", "RUNNING", "starting");
export const powerOffPipeline = powerPipeline("POWER_OFF", "HALTED", "shutting down");
