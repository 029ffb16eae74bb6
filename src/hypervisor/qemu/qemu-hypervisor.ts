// The QEMU adapter: one `qemu-system-x86_64` per running server, daemonized, so machines
// outlive a restart of imprint and are found again by their pid file and QMP socket
// (<data dir>/machines/<server id>/). Volumes are virtio disks in the server's order, the
// NoCloud config drive a CD labelled "cidata", the serial console a log file.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { readdir, readFile, rename, rm } from "node:fs/promises";
import { cpus } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import type { Hypervisor, MachineSpec, MachineState, StopResult } from "../hypervisor.ts";
import { MachineDirs } from "../machine-dirs.ts";
import { kvmWorks, type Accel } from "./accel.ts";
import { Qmp } from "./qmp.ts";

const run = promisify(execFile);

/** A failure of the machine underneath (QEMU would not start, a tool is missing). */
export class MachineFailure extends Error {}

export interface QemuOptions {
  binary: string;
  accel: "auto" | Accel;
  maxMemoryMb: number;
  /** The guest image, which the KVM probe boots. */
  guestImage: string;
  /** A guest asked to power off gets the power button pressed again this often until it is off. */
  powerButtonRetryMs: number;
  /** Makes the config-drive ISO (genisoimage, from Debian's package of that name). */
  isoTool?: string;
}

/** After a `quit` or a kill, how long the process may take to be gone. */
const EXIT_GRACE_MS = 5000;

export class QemuHypervisor implements Hypervisor {
  readonly kind = "qemu";
  private readonly dirs: MachineDirs;
  private accel: Promise<Accel> | null = null;

  private readonly options: QemuOptions;
  constructor(
    root: string,
    options: QemuOptions,
  ) {
    this.options = options;
    this.dirs = new MachineDirs(root);
  }

  /** The accelerator machines start with (probed once). */
  accelerator(): Promise<Accel> {
    if (this.options.accel !== "auto") return Promise.resolve(this.options.accel);
    this.accel ??= kvmWorks(this.options.binary, this.options.guestImage).then((works) => (works ? "kvm" : "tcg"));
    return this.accel;
  }

  async start(spec: MachineSpec): Promise<void> {
    if ((await this.state(spec.serverId)) === "RUNNING") return;
    const id = spec.serverId;
    await this.dirs.ensure(id);
    await rm(this.dirs.file(id, "qmp.sock"), { force: true });
    await rm(this.dirs.file(id, "qemu.pid"), { force: true });
    const iso = await this.writeConfigDrive(id, spec.configDrivePath);
    const accel = await this.accelerator();
    const args = [
      "-name", `guest=imprint-${id}`,
      "-machine", `pc,accel=${accel}`,
      "-smp", String(Math.max(1, Math.min(spec.cpu, cpus().length))),
      "-m", String(Math.min(spec.memoryMb, this.options.maxMemoryMb)),
      "-nodefaults", "-no-user-config", "-display", "none",
      ...spec.volumePaths.flatMap((file) => ["-drive", `file=${file},format=raw,if=virtio`]),
      "-drive", `file=${iso},format=raw,media=cdrom,readonly=on,if=ide`,
      "-netdev", "user,id=net0,restrict=on",
      "-device", `virtio-net-pci,netdev=net0${spec.macAddress ? `,mac=${spec.macAddress}` : ""}`,
      "-chardev", `file,id=console,path=${this.dirs.file(id, "console.log")},append=on`,
      "-serial", "chardev:console",
      "-qmp", `unix:${this.dirs.file(id, "qmp.sock")},server=on,wait=off`,
      "-daemonize", "-pidfile", this.dirs.file(id, "qemu.pid"),
    ];
    try {
      await run(this.options.binary, args, { timeout: 30_000 });
    } catch (error) {
      const { stderr, code } = error as { stderr?: string; code?: string | number };
      if (code === "ENOENT") throw new MachineFailure(`${this.options.binary} is not installed (Debian package qemu-system-x86)`);
      throw new MachineFailure(`QEMU did not start: ${withoutPaths(stderr?.trim() || String(error))}`);
    }
  }

  async stop(serverId: string, { timeoutMs }: { timeoutMs: number }): Promise<StopResult> {
    const pid = await this.livePid(serverId);
    if (pid === null) return { how: "already stopped" };
    let qmp: Qmp | null = null;
    try {
      qmp = await Qmp.connect(this.dirs.file(serverId, "qmp.sock"));
      if ((await this.pressPowerButtonUntilOff(qmp, timeoutMs)) && (await waitForExit(pid, EXIT_GRACE_MS))) return { how: "clean" };
    } catch {
      // No answer on the control socket: the power is cut below.
    } finally {
      qmp?.close();
    }
    await this.forceOff(serverId);
    return { how: "forced" };
  }

  /**
   * Presses the power button, and again every `powerButtonRetryMs` until the guest is off or
   * `timeoutMs` has passed, as Nova's libvirt driver does: a guest still booting, or whose
   * ACPI daemon was busy, misses a press, and one press would leave it to be forced off.
   */
  private async pressPowerButtonUntilOff(qmp: Qmp, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        await qmp.execute("system_powerdown");
      } catch {
        // QEMU closed the socket: the guest powered off as the press was being sent.
        return within(qmp.closed, EXIT_GRACE_MS);
      }
      const left = deadline - Date.now();
      if (await within(qmp.closed, Math.min(left, this.options.powerButtonRetryMs))) return true;
      if (left <= this.options.powerButtonRetryMs) return false;
    }
  }

  async forceOff(serverId: string): Promise<void> {
    const pid = await this.livePid(serverId);
    if (pid === null) return;
    try {
      const qmp = await Qmp.connect(this.dirs.file(serverId, "qmp.sock"), 2000);
      await qmp.execute("quit").catch(() => undefined);
      await within(qmp.closed, EXIT_GRACE_MS);
      qmp.close();
    } catch {
      // Fall through to the signal.
    }
    if (await waitForExit(pid, 100)) return;
    process.kill(pid, "SIGKILL");
    if (!(await waitForExit(pid, EXIT_GRACE_MS))) throw new MachineFailure(`QEMU process ${pid} of server ${serverId} did not exit after SIGKILL`);
  }

  async state(serverId: string): Promise<MachineState> {
    return (await this.livePid(serverId)) === null ? "STOPPED" : "RUNNING";
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

  async remove(serverId: string): Promise<void> {
    await this.forceOff(serverId);
    await this.dirs.remove(serverId);
  }

  /** Machines keep running: a restarted imprint finds them again. */
  async close(): Promise<void> {}

  /** The QEMU process of this server, if it is alive (and really ours: a pid can be reused). */
  private async livePid(serverId: string): Promise<number | null> {
    const text = await readFile(this.dirs.file(serverId, "qemu.pid"), "utf8").catch(() => null);
    const pid = Number(text?.trim());
    if (!Number.isInteger(pid) || pid <= 0) return null;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
    return cmdline.includes(`guest=imprint-${serverId}`) ? pid : null;
  }

  private async writeConfigDrive(serverId: string, folder: string): Promise<string> {
    const iso = this.dirs.file(serverId, "cidata.iso");
    const files = (await readdir(folder).catch(() => [] as string[])).filter((name) => ["meta-data", "network-config", "user-data"].includes(name));
    if (!files.includes("meta-data")) throw new MachineFailure("the server has no config drive");
    const tool = this.options.isoTool ?? "genisoimage";
    try {
      await run(tool, ["-quiet", "-output", `${iso}.tmp`, "-volid", "cidata", "-joliet", "-rock", ...files.map((name) => path.join(folder, name))], { timeout: 30_000 });
    } catch (error) {
      if ((error as { code?: string }).code === "ENOENT") throw new MachineFailure(`${tool} is not installed (Debian package genisoimage)`);
      throw new MachineFailure(`the config drive could not be made: ${withoutPaths(String((error as { stderr?: string }).stderr ?? error))}`);
    }
    await rename(`${iso}.tmp`, iso);
    return iso;
  }
}

/** True when `done` settles within `ms`. */
async function within(done: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([done.then(() => true), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** A process that exited but was not reaped yet (a zombie) is not alive. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat[stat.lastIndexOf(")") + 2] !== "Z";
  } catch {
    return false;
  }
}

/** Waits for a process that is not our child (QEMU daemonizes) to be gone. */
async function waitForExit(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (alive(pid)) {
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return true;
}

/** QEMU names files with their full path; users see the file's name only. */
function withoutPaths(message: string): string {
  return message.replace(/(\/[^\s'",:]+)+\/([^\s'",:/]+)/g, "$2");
}
