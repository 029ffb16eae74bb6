// What the domain is built from: adapters chosen by app.ts.
import type { Config } from "../config.ts";
import type { Db } from "../db/client.ts";
import type { ConfigDrives } from "../storage/config-drive.ts";
import type { ImageStore } from "../storage/image-store.ts";
import type { VolumeDriver } from "../storage/volume-driver.ts";
import type { Chunks, ChunkStores } from "./templates/index.ts";
import type { EventBus } from "./operations/index.ts";
import type { Catalog, Clock, IdSource } from "./kernel/index.ts";
import type { Hypervisor } from "../hypervisor/hypervisor.ts";
import type { Role } from "./accounts/roles.ts";
import type { ComputeHosts } from "./servers/compute-hosts.ts";

export interface DomainDeps {
  db: Db;
  volumes: VolumeDriver;
  /** The default image store (IMPRINT_STORE); `stores` has every datacenter's. */
  store: ImageStore;
  /**
   * The default store's catalogue (IMPRINT_STORE): for what no datacenter decides (the store
   * lock, which all catalogues share). Work in a datacenter goes through `stores.in(code)`.
   */
  chunks: Chunks;
  /** Each image store's catalogue, and the one that serves each datacenter. */
  stores: ChunkStores;
  configDrives: ConfigDrives;
  /** Runs the virtual servers' machines (simulated, or QEMU). */
  hypervisor: Hypervisor;
  /** Runs the bare-metal servers' machines: simulated, whatever `hypervisor` is (servers/machine.ts). */
  bareMetal: Hypervisor;
  /** Which instance runs which server's machine, over `hypervisor` (one per process). */
  hosts: ComputeHosts;
  /** The datacenters and operating systems offered. */
  catalog: Catalog;
  events: EventBus;
  config: Config;
  log: Logger;
  clock: Clock;
  ids: IdSource;
  /** Where operations report what they did (Prometheus in app.ts). */
  metrics: DomainMetrics;
}

export interface DomainMetrics {
  operationFinished(kind: string, status: string, seconds: number): void;
  bytesMoved(direction: "captured" | "restored", bytes: number): void;
  /** A request refused by a quota (the other limits are counted at the edge). */
  refused(limit: string): void;
}

/** The authenticated caller. Every read and write is scoped to its account. */
export interface Viewer {
  accountId: string;
  tokenId: string;
  role: Role;
  /** When the token stops working (null: never). */
  expiresAt: Date | null;
}

export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}
