// The default adapter: no process, a machine is a state file and a console log. It behaves
// as a guest would where the API can see it: power changes take effect, the console says
// what booted with which hostname, and the state outlives a restart of imprint.
import { appendFile, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Hypervisor, MachineSpec, MachineState, StopResult } from "./hypervisor.ts";
import { MachineDirs } from "./machine-dirs.ts";

export class SimulatedHypervisor implements Hypervisor {
  readonly kind = "simulated";
  private readonly dirs: MachineDirs;

  constructor(root: string) {
    this.dirs = new MachineDirs(root);
  }

  async start(spec: MachineSpec): Promise<void> {
    if ((await this.state(spec.serverId)) === "RUNNING") return;
    await this.dirs.ensure(spec.serverId);
    const metaData = await readFile(path.join(spec.configDrivePath, "meta-data"), "utf8").catch(() => "");
    const hostname = /^local-hostname: *(.*)$/m.exec(metaData)?.[1] ?? "localhost";
    await this.console(spec.serverId, [
      `simulated machine ${spec.name}: powered on (${spec.cpu} vCPU, ${spec.memoryMb} MiB, ${spec.volumePaths.length} volumes)`,
      `imprint-guest ready hostname=${hostname}`,
    ]);
    await this.setState(spec.serverId, "RUNNING");
  }

  async stop(serverId: string): Promise<StopResult> {
    if ((await this.state(serverId)) !== "RUNNING") return { how: "already stopped" };
    await this.console(serverId, ["imprint-guest shutting down"]);
    await this.setState(serverId, "STOPPED");
    return { how: "clean" };
  }

  async forceOff(serverId: string): Promise<void> {
    if ((await this.state(serverId)) !== "RUNNING") return;
    await this.setState(serverId, "STOPPED");
  }

  async state(serverId: string): Promise<MachineState | null> {
    const text = await readFile(this.dirs.file(serverId, "state"), "utf8").catch(() => null);
    return text === "RUNNING" || text === "STOPPED" ? text : null;
  }

  running(): Promise<string[]> {
    return this.dirs.running((serverId) => this.state(serverId));
  }

  consoleTail(serverId: string, lines: number): Promise<string[]> {
    return this.dirs.consoleTail(serverId, lines);
  }

  consoleFollow(serverId: string, signal: AbortSignal, backlog = 0): AsyncIterable<string> {
    return this.dirs.consoleFollow(serverId, signal, backlog);
  }

  remove(serverId: string): Promise<void> {
    return this.dirs.remove(serverId);
  }

  async close(): Promise<void> {}

  private async setState(serverId: string, state: MachineState): Promise<void> {
    await this.dirs.ensure(serverId);
    const file = this.dirs.file(serverId, "state");
    await writeFile(`${file}.tmp`, state);
    await rename(`${file}.tmp`, file);
  }

  private async console(serverId: string, lines: string[]): Promise<void> {
    await appendFile(this.dirs.file(serverId, "console.log"), lines.map((l) => `${l}\n`).join(""));
  }
}
