// First start: a demo account with a token and a few servers in two datacenters, one of
// them bare metal, provisioned by the runner like any other server.
import { existsSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import type { Accounts } from "./accounts/index.ts";
import type { DomainDeps } from "./deps.ts";
import type { CreateServerInput, Servers } from "./servers/index.ts";

export const DEMO_ACCOUNT_NAME = "demo";

export const DEMO_SERVERS: CreateServerInput[] = [
  {
    kind: "VIRTUAL", hostname: "web01", domain: "demo.example.com", datacenter: "dal10",
    cpu: 2, memoryMb: 4096, os: "UBUNTU_24_04_64",
    volumes: [{ role: "BOOT", capacityGb: 10 }, { role: "DATA", capacityGb: 20 }],
  },
  {
    kind: "VIRTUAL", hostname: "db01", domain: "demo.example.com", datacenter: "fra02",
    cpu: 4, memoryMb: 16384, os: "DEBIAN_12_64",
    volumes: [{ role: "BOOT", capacityGb: 10 }, { role: "DATA", capacityGb: 50 }, { role: "SWAP", capacityGb: 4 }],
  },
  {
    kind: "VIRTUAL", hostname: "app01", domain: "demo.example.com", datacenter: "dal10",
    cpu: 1, memoryMb: 2048, os: "UBUNTU_24_04_64",
    volumes: [{ role: "BOOT", capacityGb: 10 }],
  },
  {
    kind: "BARE_METAL", hostname: "metal01", domain: "demo.example.com", datacenter: "fra02",
    cpu: 32, memoryMb: 131072, os: "ROCKYLINUX_9_64",
    volumes: [{ role: "BOOT", capacityGb: 500 }],
  },
];

export interface DemoAccess {
  token: string;
  created: boolean;
}

/**
 * Creates the demo account and servers when the database has no account yet. Returns the
 * demo token to print, also on later starts (read back from <data dir>/demo-token).
 */
export async function ensureDemo(deps: DomainDeps, accounts: Accounts, servers: Servers): Promise<DemoAccess | null> {
  const tokenFile = path.join(deps.config.dataDir, "demo-token");
  const existing = await accounts.findByName(DEMO_ACCOUNT_NAME);
  if (existing) {
    if (deps.config.demoToken) {
      await accounts.ensureToken(existing.id, deps.config.demoToken);
      return { token: deps.config.demoToken, created: false };
    }
    return existsSync(tokenFile) ? { token: readFileSync(tokenFile, "utf8").trim(), created: false } : null;
  }
  if ((await accounts.count()) > 0) return null;

  const { accountId, token } = await accounts.create(DEMO_ACCOUNT_NAME, deps.config.demoToken);
  if (!deps.config.demoToken) {
    mkdirSync(deps.config.dataDir, { recursive: true });
    writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
  }
  const viewer = { accountId, tokenId: "seed", role: "ADMIN" as const, expiresAt: null };
  for (const spec of DEMO_SERVERS) await servers.create(viewer, spec, { demoContent: true });
  return { token, created: true };
}
