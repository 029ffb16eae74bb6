// Where a machine's files live: <data dir>/machines/<server id>/ (console log, state, and
// for QEMU its pid file, QMP socket and config-drive ISO), and what both adapters read from
// them the same way: the console, and which machines run.
import { mkdir, readdir, rm } from "node:fs/promises";
import path from "node:path";
import { followLines, tailLines } from "./console-log.ts";
import type { MachineState } from "./hypervisor.ts";

export class MachineDirs {
  readonly root: string;
  constructor(root: string) {
    this.root = root;
  }

  dir(serverId: string): string {
    if (!/^[A-Za-z0-9_-]+$/.test(serverId)) throw new Error(`invalid server id ${serverId}`);
    return path.join(this.root, serverId);
  }

  file(serverId: string, name: "console.log" | "state" | "qemu.pid" | "qmp.sock" | "cidata.iso"): string {
    return path.join(this.dir(serverId), name);
  }

  async ensure(serverId: string): Promise<string> {
    const dir = this.dir(serverId);
    await mkdir(dir, { recursive: true });
    return dir;
  }

  async remove(serverId: string): Promise<void> {
    await rm(this.dir(serverId), { recursive: true, force: true });
  }

  /** The servers with a machine folder whose machine `state` says RUNNING. */
  async running(state: (serverId: string) => Promise<MachineState | null>): Promise<string[]> {
    const ids = await readdir(this.root).catch(() => [] as string[]);
    const states = await Promise.all(ids.map(async (id) => [id, await state(id)] as const));
    return states.filter(([, current]) => current === "RUNNING").map(([id]) => id);
  }

  consoleTail(serverId: string, lines: number): Promise<string[]> {
    return tailLines(this.file(serverId, "console.log"), lines);
  }

  async *consoleFollow(serverId: string, signal: AbortSignal, backlog: number): AsyncGenerator<string> {
    await this.ensure(serverId);
    yield* followLines(this.file(serverId, "console.log"), signal, backlog);
  }
}
