// KVM or software emulation. /dev/kvm may exist and still not work (nested KVM on these
// machines hangs: STACK-NOTES), so "auto" boots a 512-byte probe with KVM and uses it only
// if the probe prints to the serial port within a few seconds.
import { spawn } from "node:child_process";
import { constants } from "node:fs";
import { access, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

export type Accel = "kvm" | "tcg";

/** A boot sector that writes "K" to COM1 and halts. */
function probeBootSector(): Buffer {
  const sector = Buffer.alloc(512);
  Buffer.from([0xba, 0xf8, 0x03, 0xb0, 0x4b, 0xee, 0xf4, 0xeb, 0xfd]).copy(sector); // mov dx,3f8h; mov al,'K'; out dx,al; hlt; jmp $-1
  sector[510] = 0x55;
  sector[511] = 0xaa;
  return sector;
}

export async function kvmWorks(binary: string, timeoutMs = 5000): Promise<boolean> {
  try {
    await access("/dev/kvm", constants.R_OK | constants.W_OK);
  } catch {
    return false;
  }
  const dir = await mkdtemp(path.join(tmpdir(), "imprint-kvm-probe-"));
  try {
    const disk = path.join(dir, "probe.img");
    await writeFile(disk, probeBootSector());
    const qemu = spawn(binary, ["-machine", "pc,accel=kvm", "-nodefaults", "-no-user-config", "-display", "none", "-drive", `file=${disk},format=raw,if=ide`, "-serial", "stdio"], { stdio: ["ignore", "pipe", "ignore"] });
    return await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => done(false), timeoutMs);
      function done(result: boolean) {
        clearTimeout(timer);
        qemu.kill("SIGKILL");
        resolve(result);
      }
      qemu.stdout.on("data", (data: Buffer) => data.includes("K") && done(true));
      qemu.once("error", () => done(false));
      qemu.once("exit", () => done(false));
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
