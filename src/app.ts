// Wires the adapters, the domain and the GraphQL server into one object with start/stop.
import { mkdirSync } from "node:fs";
import path from "node:path";
import type { AddressInfo } from "node:net";
import type { Config } from "./config.ts";
import { closeDb, createDb, databaseProvider, type DbOptions } from "./db/client.ts";
import { PostgresqlStoreLock } from "./db/postgresql-store-lock.ts";
import { applyMigrations } from "./db/migrate.ts";
import type { Logger } from "./domain/deps.ts";
import { ensureDemo, type DemoAccess } from "./domain/demo.ts";
import { createEventBus, inProcessTransport } from "./domain/operations/index.ts";
import { connectRedis } from "./redis/redis.ts";
import { redisEventTransport } from "./redis/event-transport.ts";
import { createDomain, type Domain } from "./domain/index.ts";
import { createGraphQLServer, GRAPHQL_PATH } from "./graphql/server.ts";
import { createLogger } from "./log.ts";
import { systemClock, timeOrderedIds } from "./domain/kernel/index.ts";
import { Chunks, ChunkStores, StoreLock } from "./domain/templates/index.ts";
import { CodecPool } from "./storage/codec-pool.ts";
import { ConfigDrives } from "./storage/config-drive.ts";
import type { ImageStore } from "./storage/image-store.ts";
import { createImageStores, problemOfAll } from "./storage/index.ts";
import { LocalVolumeDriver, type VolumeDriver } from "./storage/volume-driver.ts";
import { createBareMetalHypervisor, createHypervisor } from "./hypervisor/index.ts";
import type { Hypervisor } from "./hypervisor/hypervisor.ts";
import { Catalog } from "./domain/kernel/index.ts";
import { ComputeHosts, reconcileMachines } from "./domain/servers/index.ts";
import { readiness } from "./ops/health.ts";
import { Metrics } from "./ops/metrics.ts";

export interface App {
  config: Config;
  domain: Domain;
  /** The demo account's token, when there is a demo account whose token is known. */
  demo: DemoAccess | null;
  migrationsApplied: string[];
  start(): Promise<{ url: string }>;
  /**
   * A rolling restart's first half: /readyz says "draining" (the load balancer sends no new
   * requests), no more work is claimed, the operations running here get up to `ms` to end,
   * and then every open subscription is told to subscribe again. stop() does the rest.
   */
  drain(ms: number): Promise<void>;
  stop(): Promise<void>;
}

/** Adapters to use instead of the defaults (tests inject faults through these). */
export interface Ports {
  store: ImageStore;
  volumes: VolumeDriver;
  codec: CodecPool;
  hypervisor: Hypervisor;
}

export interface AppOptions {
  log?: Logger;
  db?: DbOptions;
  ports?: Partial<Ports>;
}

/** The kernel caps it at net.core.somaxconn (4096 on current Linux). */
const LISTEN_BACKLOG = 4096;

export async function createApp(config: Config, options: AppOptions = {}): Promise<App> {
  const log = options.log ?? createLogger(config);
  mkdirSync(config.dataDir, { recursive: true });
  const migrationsApplied = await applyMigrations(config.databaseUrl);
  const db = await createDb(config.databaseUrl, { busyTimeoutMs: config.dbBusyTimeoutMs, poolSize: config.dbPoolSize, ...options.db });
  const redis = config.redisUrl ? connectRedis(config.redisUrl, log) : null;
  let draining = false;
  const imageStores = await createImageStores(config, options.ports?.store);
  const store = imageStores.default.store;
  const codec = options.ports?.codec ?? new CodecPool();
  // The chunk stores' lock spans the instances of a PostgreSQL database; on SQLite, this process. One for every store.
  const storeLock = databaseProvider(config.databaseUrl) === "postgresql" ? new PostgresqlStoreLock(config.databaseUrl) : new StoreLock();
  const catalogues = new Map(imageStores.all.map(({ key, store: keyed }) => [key, new Chunks(db, keyed, codec, systemClock, storeLock, key)]));
  const stores = new ChunkStores(catalogues, new Map([...imageStores.datacenters].map(([code, { key }]) => [code, key])));
  const hypervisor = options.ports?.hypervisor ?? createHypervisor(config);
  const bareMetal = createBareMetalHypervisor(config, hypervisor);
  // Open subscriptions are counted by the GraphQL server, made below.
  let subscriptions = () => ({ open: 0, sources: 0 });
  const metrics = new Metrics(db, () => subscriptions());
  const domain = createDomain({
    db,
    volumes: options.ports?.volumes ?? new LocalVolumeDriver(path.join(config.dataDir, "volumes")),
    store,
    chunks: stores.default,
    stores,
    configDrives: new ConfigDrives(path.join(config.dataDir, "config-drives")),
    hypervisor,
    bareMetal,
    hosts: new ComputeHosts({ db, clock: systemClock, config, hypervisor }),
    catalog: new Catalog({ guestImage: config.hypervisor.kind === "qemu" ? config.hypervisor.qemu.guestImage : null }),
    events: createEventBus(redis ? redisEventTransport(redis, log) : inProcessTransport()),
    config,
    log,
    clock: systemClock,
    ids: timeOrderedIds(systemClock),
    metrics,
  });
  const demo = config.seedDemo ? await ensureDemo(domain.deps, domain.accounts, domain.servers) : null;
  const graphql = createGraphQLServer(config, domain, {
    graphiqlToken: config.env === "development" ? demo?.token : undefined,
    operator: {
      readiness: () => readiness(db, { problem: () => problemOfAll(imageStores.all) }, { redis: redis && { problem: redis.problem, ping: () => redis.commands.ping() }, draining: () => draining }),
      metrics: async () => ({ contentType: metrics.registry.contentType, body: await metrics.registry.metrics() }),
    },
    metrics,
    redis: redis?.commands ?? null,
  });
  subscriptions = () => ({ open: graphql.openSubscriptions(), sources: graphql.subscriptionSources() });

  return {
    config,
    domain,
    demo,
    migrationsApplied,
    async start() {
      // The port first: an instance that cannot listen (EADDRINUSE) must not take queued work.
      await new Promise<void>((resolve, reject) => {
        graphql.http.once("error", reject);
        // A deep accept queue: after a restart every subscriber reconnects at once, and with
        // Node's default of 511 the connections past it wait for SYN retries (1 s, 3 s, 7 s…).
        graphql.http.listen({ port: config.port, host: config.host, backlog: LISTEN_BACKLOG }, () => {
          graphql.http.off("error", reject);
          resolve();
        });
      });
      // Before queued work runs: the records say what the machines really are.
      await reconcileMachines(domain.deps);
      await domain.runner.start();
      const { port } = graphql.http.address() as AddressInfo;
      const host = config.host === "0.0.0.0" || config.host === "::" ? "localhost" : config.host;
      return { url: `http://${host}:${port}${GRAPHQL_PATH}` };
    },
    async drain(ms) {
      draining = true;
      const left = await domain.runner.drain(ms);
      if (left > 0) log.warn("draining: operations still running are interrupted", { operations: left });
      graphql.endSubscriptions();
    },
    async stop() {
      await graphql.close();
      await domain.runner.stop();
      await hypervisor.close();
      if (bareMetal !== hypervisor) await bareMetal.close();
      await codec.close();
      for (const { store: keyed } of imageStores.all) await keyed.close();
      if ((await closeDb(db)) === "left busy") log.warn("stopping: database connections still busy; left to the exit");
      await redis?.close();
    },
  };
}
