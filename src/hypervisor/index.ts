// The hypervisor adapter configuration asks for.
import path from "node:path";
import type { Config } from "../config.js";
import type { Hypervisor } from "./hypervisor.js";
import { QemuHypervisor } from "./qemu/qemu-hypervisor.js";
import { SimulatedHypervisor } from "./simulated.js";

export function createHypervisor(config: Config): Hypervisor {
  const machines = path.join(config.dataDir, "machines");
  if (config.hypervisor.kind === "qemu") return new QemuHypervisor(machines, config.hypervisor.qemu);
  return new SimulatedHypervisor(machines);
}
