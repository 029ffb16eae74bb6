// Addresses of a server: one position (ordinal) in its datacenter's pools gives its
// private and public IPv4 and its MAC, so two servers in a datacenter never share any.
import type { Prisma } from "../../db/prisma.ts";
import { SERVER_LIMITS, type Datacenter, ConflictError } from "../kernel/index.ts";

export interface ServerAddresses {
  networkOrdinal: number;
  privateIpv4: string;
  publicIpv4: string;
  macAddress: string;
}

function formatIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => (value >>> shift) & 255).join(".");
}

function hex(byte: number): string {
  return byte.toString(16).padStart(2, "0");
}

/** Ordinal 1 is the pool's first host address; .0 is the network and .1 the gateway. */
export function addressesFor(dc: Datacenter, ordinal: number): ServerAddresses {
  return {
    networkOrdinal: ordinal,
    privateIpv4: formatIpv4(dc.privatePool + 1 + ordinal),
    publicIpv4: formatIpv4(dc.publicPool + 1 + ordinal),
    // 06: locally administered, unicast.
    macAddress: ["06", "69", hex(dc.macPrefix), hex(ordinal >>> 16), hex((ordinal >>> 8) & 255), hex(ordinal & 255)].join(":"),
  };
}

/** The next free position in the datacenter's pools; call inside the transaction that takes it. */
export async function nextFreeOrdinal(tx: Prisma.TransactionClient, dc: Datacenter): Promise<number> {
  const { _max } = await tx.server.aggregate({ where: { datacenter: dc.code }, _max: { networkOrdinal: true } });
  const next = (_max.networkOrdinal ?? 0) + 1;
  if (next <= SERVER_LIMITS.poolSize) return next;
  // The top of the pool is used: look for a released position below it.
  const taken = await tx.server.findMany({
    where: { datacenter: dc.code, networkOrdinal: { not: null } },
    select: { networkOrdinal: true },
    orderBy: { networkOrdinal: "asc" },
  });
  let expected = 1;
  for (const { networkOrdinal } of taken) {
    if (networkOrdinal !== expected) return expected;
    expected++;
  }
  throw new ConflictError(`datacenter ${dc.code} has no free addresses`, "POOL_EXHAUSTED");
}

export const RELEASED_ADDRESSES = { networkOrdinal: null, privateIpv4: null, publicIpv4: null, macAddress: null } as const;
