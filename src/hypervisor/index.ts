// The hypervisor adapter configuration asks for.
import path from "node:path";
import type { Config } from "../config.ts";
import type { Hypervisor } from "./hypervisor.ts";
import { QemuHypervisor } from "./qemu/qemu-hypervisor.ts";
import { SimulatedHypervisor } from "./simulated.ts";

export function createHypervisor(config: Config): Hypervisor {
  const machines = path.join(config.dataDir, "machines");
  if (config.hypervisor.kind === "qemu") return new QemuHypervisor(machines, config.hypervisor.qemu);
  return new SimulatedHypervisor(machines);
}

/**
 * What runs bare-metal servers: simulated machines always, since a virtual machine is not bare
 * metal; the virtual servers' adapter itself when that is the simulated one.
 */
export function createBareMetalHypervisor(config: Config, virtual: Hypervisor): Hypervisor {
  return virtual.kind === "simulated" ? virtual : new SimulatedHypervisor(path.join(config.dataDir, "bare-metal-machines"));
}
