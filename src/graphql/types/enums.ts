import {
  IMAGE_TEMPLATE_KINDS,
  LOCATION_STATUSES,
  OPERATION_KINDS,
  OPERATION_STATUSES,
  POWER_STATES,
  SERVER_KINDS,
  SERVER_STATUSES,
  TEMPLATE_STATUSES,
  VOLUME_ROLES,
} from "../../domain/kernel/index.ts";
import { builder } from "../builder.ts";

export const ServerKindEnum = builder.enumType("ServerKind", { values: SERVER_KINDS });
export const ServerStatusEnum = builder.enumType("ServerStatus", { values: SERVER_STATUSES });
export const PowerStateEnum = builder.enumType("PowerState", { values: POWER_STATES });
export const VolumeRoleEnum = builder.enumType("VolumeRole", { values: VOLUME_ROLES });
export const ImageTemplateKindEnum = builder.enumType("ImageTemplateKind", {
  values: IMAGE_TEMPLATE_KINDS,
  description: "STANDARD: captured from and deployed to virtual servers only. FLEX: virtual and bare metal, for operating systems the catalogue marks Flex-capable.",
});
export const TemplateStatusEnum = builder.enumType("ImageTemplateStatus", { values: TEMPLATE_STATUSES });
export const LocationStatusEnum = builder.enumType("ImageTemplateLocationStatus", { values: LOCATION_STATUSES });
export const OperationKindEnum = builder.enumType("OperationKind", { values: OPERATION_KINDS });
export const OperationStatusEnum = builder.enumType("OperationStatus", { values: OPERATION_STATUSES });
export const MachineKindEnum = builder.enumType("MachineKind", {
  values: ["SIMULATED", "QEMU"] as const,
  description:
    "What runs a server's machine. QEMU: a real virtual machine (IMPRINT_HYPERVISOR=qemu). SIMULATED: the default hypervisor's simulated machines, and bare-metal servers always, since a virtual machine is not bare metal.",
});
