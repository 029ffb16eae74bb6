// What the provider offers: datacenters with their address pools, operating systems, and
// the limits of a server's shape. Static for now; a table once datacenters are managed.

export interface Datacenter {
  code: string;
  name: string;
  /** First address of the /16 private pool (10.x.0.0) and public pool, as numbers. */
  privatePool: number;
  publicPool: number;
  /** Second octet of generated MAC addresses, unique per datacenter. */
  macPrefix: number;
}

export interface OperatingSystem {
  code: string;
  name: string;
  family: "LINUX" | "WINDOWS";
  /** Smallest boot volume the OS installs on. */
  minBootGb: number;
  /** Flex images of it may be captured and deployed to bare metal as to virtual servers. */
  flexCapable: boolean;
  /** A bootable disk image written onto a new boot volume; without one, synthetic content is. */
  imageFile?: string;
}

function ipv4(a: number, b: number, c: number, d: number): number {
  return ((a << 24) >>> 0) + (b << 16) + (c << 8) + d;
}

export const DATACENTERS: readonly Datacenter[] = [
  { code: "dal10", name: "Dallas 10", privatePool: ipv4(10, 10, 0, 0), publicPool: ipv4(100, 64, 0, 0), macPrefix: 0x10 },
  { code: "wdc07", name: "Washington 07", privatePool: ipv4(10, 20, 0, 0), publicPool: ipv4(100, 65, 0, 0), macPrefix: 0x20 },
  { code: "fra02", name: "Frankfurt 02", privatePool: ipv4(10, 30, 0, 0), publicPool: ipv4(100, 66, 0, 0), macPrefix: 0x30 },
  { code: "tok05", name: "Tokyo 05", privatePool: ipv4(10, 40, 0, 0), publicPool: ipv4(100, 67, 0, 0), macPrefix: 0x40 },
];

export const OPERATING_SYSTEMS: readonly OperatingSystem[] = [
  // Minimum boot volumes of the providers' minimal cloud images.
  // Flex-capable: those whose images carry the drivers of both the virtual and the bare-metal
  // hardware, as IBM classic's Flex list does; Debian 12 here has only the virtual ones.
  { code: "UBUNTU_24_04_64", name: "Ubuntu 24.04 LTS (64 bit)", family: "LINUX", minBootGb: 4, flexCapable: true },
  { code: "UBUNTU_22_04_64", name: "Ubuntu 22.04 LTS (64 bit)", family: "LINUX", minBootGb: 4, flexCapable: true },
  { code: "DEBIAN_12_64", name: "Debian 12 (64 bit)", family: "LINUX", minBootGb: 2, flexCapable: false },
  { code: "ROCKYLINUX_9_64", name: "Rocky Linux 9 (64 bit)", family: "LINUX", minBootGb: 10, flexCapable: true },
  { code: "WIN_2022_64", name: "Windows Server 2022 Standard (64 bit)", family: "WINDOWS", minBootGb: 64, flexCapable: true },
];

export const SERVER_LIMITS = {
  cpu: { min: 1, max: 56 },
  memoryMb: { min: 1024, max: 262_144 },
  volumeCapacityGb: { min: 1, max: 2000 },
  volumesPerServer: { max: 8 },
  /** Addresses per pool: a /16 minus network, gateway and broadcast. */
  poolSize: 65_533,
} as const;

export function findDatacenter(code: string): Datacenter | undefined {
  return DATACENTERS.find((dc) => dc.code === code);
}

/** The small guest of `npm run guest:build`, offered when machines are real (QEMU). */
export const IMPRINT_GUEST: OperatingSystem = { code: "IMPRINT_GUEST", name: "imprint test guest (Debian kernel, busybox)", family: "LINUX", minBootGb: 1, flexCapable: false };

/** What this instance offers: the operating systems depend on the hypervisor. */
export class Catalog {
  readonly datacenters = DATACENTERS;
  readonly operatingSystems: readonly OperatingSystem[];

  constructor(options: { guestImage: string | null }) {
    this.operatingSystems = options.guestImage ? [...OPERATING_SYSTEMS, { ...IMPRINT_GUEST, imageFile: options.guestImage }] : OPERATING_SYSTEMS;
  }

  findOperatingSystem(code: string): OperatingSystem | undefined {
    return this.operatingSystems.find((os) => os.code === code);
  }

  /** The codes of the operating systems Flex images can be made of. */
  flexCapableOperatingSystems(): string[] {
    return this.operatingSystems.filter((os) => os.flexCapable).map((os) => os.code);
  }
}

export const GIB = 1024 ** 3;
export const MIB = 1024 ** 2;
