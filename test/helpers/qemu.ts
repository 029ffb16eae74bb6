// What the QEMU tests need from the machine, the guest image they boot, and a cleanup that
// leaves no QEMU process behind whatever happened.
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { exited, processAlive } from "./child.ts";
import { onPath } from "./tools.ts";

/** Why the QEMU tests cannot run here (the Debian packages .ci/run installs), or null. */
export function qemuUnavailable(): string | null {
  const missing = [
    ["qemu-system-x86_64", "qemu-system-x86"],
    ["genisoimage", "genisoimage"],
    ["syslinux", "syslinux"],
    ["mcopy", "mtools"],
    ["mkfs.fat", "dosfstools"],
  ]
    .filter(([tool]) => !onPath(tool))
    .map(([tool, pkg]) => `${tool} (${pkg})`);
  if (!existsSync("/bin/busybox")) missing.push("/bin/busybox (busybox-static)");
  if (!existsSync("/boot") || !readdirSync("/boot").some((name) => name.startsWith("vmlinuz-"))) missing.push("a kernel in /boot (linux-image-amd64)");
  return missing.length ? `not installed: ${missing.join(", ")}` : null;
}

/** Builds the guest image with the project's own script (npm run guest:build). */
export async function buildGuest(output: string): Promise<void> {
  const { code, output: log } = await exited(spawn("bash", ["guest/build.sh", output], { stdio: ["pipe", "pipe", "pipe"] }));
  if (code !== 0) throw new Error(`guest/build.sh failed (${code}):\n${log}`);
}

/** Kills every QEMU process whose pid file is under `dataDir`: no test leaves a machine running. */
export function killMachines(dataDir: string): void {
  const root = path.join(dataDir, "machines");
  if (!existsSync(root)) return;
  for (const id of readdirSync(root)) {
    const pid = machinePid(dataDir, id);
    if (pid !== null) process.kill(pid, "SIGKILL");
  }
}

/** How many live QEMU processes run this server's machine (found through /proc, not the pid file). */
export function machineProcesses(serverId: string): number {
  return readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(`guest=imprint-${serverId}`) && processAlive(Number(pid));
      } catch {
        return false;
      }
    }).length;
}

/** The QEMU process of a server, if one runs. */
export function machinePid(dataDir: string, serverId: string): number | null {
  const pidFile = path.join(dataDir, "machines", serverId, "qemu.pid");
  if (!existsSync(pidFile)) return null;
  const pid = Number(readFileSync(pidFile, "utf8").trim());
  const cmdline = existsSync(`/proc/${pid}/cmdline`) ? readFileSync(`/proc/${pid}/cmdline`, "utf8") : "";
  return cmdline.includes(`guest=imprint-${serverId}`) ? pid : null;
}
