// Where a machine's files live: <data dir>/machines/<server id>/ (console log, state, and
// for QEMU its pid file, QMP socket and config-drive ISO).
import { mkdir, rm } from "node:fs/promises";
import path from "node:path";

export class MachineDirs {
  constructor(readonly root: string) {}

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
}
