// KVM or software emulation. /dev/kvm may exist and still not work: nested KVM on these
// machines runs real-mode code (the BIOS, a boot loader) and then hangs as the kernel enters
// long mode (STACK-NOTES). So "auto" boots the guest image with KVM and uses KVM only if its
// kernel prints its banner on the serial port within a few seconds; without a guest image to
// try, it does not trust KVM.
import { spawn } from "node:child_process";
import { constants } from "node:fs";
import { access } from "node:fs/promises";

export type Accel = "kvm" | "tcg";

const KERNEL_BANNER = "Linux version";

export async function kvmWorks(binary: string, guestImage: string, timeoutMs = 8000): Promise<boolean> {
  try {
    await access("/dev/kvm", constants.R_OK | constants.W_OK);
    await access(guestImage, constants.R_OK);
  } catch {
    return false;
  }
  const qemu = spawn(
    binary,
    ["-machine", "pc,accel=kvm", "-m", "256", "-nodefaults", "-no-user-config", "-display", "none", "-snapshot", "-drive", `file=${guestImage},format=raw,if=virtio,readonly=on`, "-serial", "stdio"],
    { stdio: ["ignore", "pipe", "ignore"] },
  );
  return new Promise<boolean>((resolve) => {
    let output = "";
    const timer = setTimeout(() => done(false), timeoutMs);
    function done(result: boolean) {
      clearTimeout(timer);
      qemu.kill("SIGKILL");
      resolve(result);
    }
    qemu.stdout.on("data", (data: Buffer) => {
      output = (output + data.toString("latin1")).slice(-4096);
      if (output.includes(KERNEL_BANNER)) done(true);
    });
    qemu.once("error", () => done(false));
    qemu.once("exit", () => done(false));
  });
}
