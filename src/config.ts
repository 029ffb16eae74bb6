// Every environment variable imprint reads, parsed and validated in one place.
// An invalid value stops the start with a message that names the variable.
import { hostname } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { providerOf, redactedUrl } from "./db/provider.ts";
import { parseS3Location } from "./storage/s3-location.ts";
import { DATACENTERS } from "./domain/kernel/catalog.ts";

export interface Config {
  /** IMPRINT_* variables set in the environment that imprint does not read (a typo such as IMPRINT_STROE). */
  unknownVariables: string[];
  env: "development" | "production" | "test";
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string;
  /** Addresses of the proxies whose X-Forwarded-For names the client (ops/client-address.ts). */
  trustedProxies: ReadonlySet<string>;
  /** Redis shared by instances (events, rate limits); null: all in this process. */
  redisUrl: string | null;
  /** Fixed secret for the demo account's token; otherwise one is generated on first start. */
  demoToken: string | undefined;
  /** Whether to create the demo account and servers when the database is new. */
  seedDemo: boolean;
  maxConcurrentOperations: number;
  /** Bytes of operating-system content written at the start of a new boot volume. */
  osImageBytes: number;
  /** How often progress events are published to subscribers, and written to the database. */
  progressPublishMs: number;
  progressPersistMs: number;
  heartbeatMs: number;
  /** How often an open Server-Sent Events stream gets a comment, so that proxies keep it open. */
  ssePingMs: number;
  /** A RUNNING operation whose owner has not beaten for this long is recovered by another instance. */
  staleOwnerMs: number;
  /** How long an exported template's file can be downloaded before it is removed. */
  exportTtlMs: number;
  /** How long an upload waits to be imported, and how large it may grow. */
  uploadTtlMs: number;
  maxUploadBytes: number;
  maxPageSize: number;
  /** How long a database statement waits for another process's lock before it fails. */
  dbBusyTimeoutMs: number;
  /** PostgreSQL: the most connections this instance opens. */
  dbPoolSize: number;
  /** SIGTERM/SIGINT: how long to wait for running operations to roll back before exiting anyway. */
  shutdownTimeoutMs: number;
  /** Bounds on one request, checked before it executes. */
  limits: RequestLimits;
  /** Per-account quotas; a request over one gets a QuotaExceededError naming it. */
  quotas: Quotas;
  /** Where templates' chunks and manifests are kept (IMPRINT_STORE). */
  store: StoreConfig;
  /** Datacenters with a store of their own (IMPRINT_STORE_<DATACENTER>, e.g. IMPRINT_STORE_FRA02), by datacenter code; the others use `store`. */
  datacenterStores: Record<string, StoreConfig>;
  /** What runs a server's machine. */
  hypervisor: HypervisorConfig;
  /** What the HTTP endpoint shows and to whom. */
  exposure: ExposureConfig;
  /** pino level (LOG_LEVEL); error in tests, info otherwise. */
  logLevel: "trace" | "debug" | "info" | "warn" | "error" | "fatal" | "silent";
}

export interface ExposureConfig {
  /** Serve GraphiQL at /graphql to browsers (default: not in production). */
  graphiql: boolean;
  /** Answer introspection queries (default: not in production). */
  introspection: boolean;
  /** Web origins allowed to call the API from a browser (CORS); none unless configured. */
  corsOrigins: string[];
  /** Unexpected errors reach clients with their message (never by default, in any mode). */
  debugErrors: boolean;
}

/** IMPRINT_STORE: a folder (file:///path; by default <data dir>/store), or an S3 bucket (s3://bucket/prefix). */
export type StoreConfig =
  | { kind: "file"; path: string }
  | {
      kind: "s3";
      location: string;
      /** Attempts per request before the store counts as unreachable (IMPRINT_S3_ATTEMPTS). */
      attempts: number;
      /** How long one attempt may take (IMPRINT_S3_TIMEOUT_MS). */
      timeoutMs: number;
      /** The SDK's standard variables, read here like every other: the endpoint (AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL; null: AWS's own) and region. */
      endpoint: string | null;
      region: string;
      /** AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN); null: the SDK's own chain (profiles, instance roles). */
      credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } | null;
    };

export interface HypervisorConfig {
  /** simulated: a record and a console log (the default); qemu: one qemu-system-x86_64 per running server. */
  kind: "simulated" | "qemu";
  /**
   * This instance's name as a compute host (IMPRINT_COMPUTE_HOST, default the machine's host
   * name). With QEMU, servers are placed on a host and only that host runs their operations;
   * two instances must not share a name unless they are the same machine restarted.
   */
  computeHost: string;
  /** ACPI shutdown: how long a guest has to power itself off before it is forced off. */
  shutdownTimeoutMs: number;
  qemu: {
    binary: string;
    /** auto: KVM when a probe boots with it within a few seconds, else software emulation (TCG). */
    accel: "auto" | "kvm" | "tcg";
    /** A guest gets the server's memory up to this much (QEMU allocates it as the guest touches it). */
    maxMemoryMb: number;
    /** The bootable image behind the IMPRINT_GUEST operating system (npm run guest:build). */
    guestImage: string;
    /** A guest asked to power off gets the ACPI power button pressed again this often until it is off. */
    powerButtonRetryMs: number;
  };
}

export interface RequestLimits {
  maxBodyBytes: number;
  maxDepth: number;
  maxAliases: number;
  maxDirectives: number;
  maxTokens: number;
  /** Budget of a query's cost: 1 per field, times the page size of each connection around it. */
  maxCost: number;
  /** IDs one `nodes` call may ask for. */
  maxNodeIds: number;
  /** Requests (and subscription starts) per token per minute. */
  ratePerMinute: number;
}

export interface Quotas {
  servers: number;
  templates: number;
  storedBytes: number;
  /** Operations QUEUED or RUNNING at once. */
  concurrentOperations: number;
}

export class ConfigError extends Error {
  readonly variable: string;
  constructor(
    variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.variable = variable;
    this.name = "ConfigError";
  }
}

type Env = Record<string, string | undefined>;

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(name, `expected a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

function oneOf<T extends string>(env: Env, name: string, fallback: T, allowed: readonly T[]): T {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(name, `must be one of ${allowed.join(", ")}, got "${raw}"`);
  }
  return raw as T;
}

function flag(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  if (["1", "true", "yes"].includes(raw)) return true;
  if (["0", "false", "no"].includes(raw)) return false;
  throw new ConfigError(name, `expected true or false, got "${raw}"`);
}

function corsOrigins(env: Env): string[] {
  const raw = env.IMPRINT_CORS_ORIGINS?.trim();
  if (!raw) return [];
  return raw.split(",").map((origin) => {
    const value = origin.trim();
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new ConfigError("IMPRINT_CORS_ORIGINS", `"${value}" is not an origin such as https://console.example.com`);
    }
    if (url.origin !== value || value === "null") throw new ConfigError("IMPRINT_CORS_ORIGINS", `"${value}" is not an origin such as https://console.example.com (scheme, host and port only)`);
    return value;
  });
}

/** The stores of the datacenters that have one (IMPRINT_STORE_<CODE>). */
function datacenterStores(env: Env, dataDir: string): Record<string, StoreConfig> {
  const stores: Record<string, StoreConfig> = {};
  for (const { code } of DATACENTERS) {
    const variable = `IMPRINT_STORE_${code.toUpperCase()}`;
    if (env[variable]?.trim()) stores[code] = storeConfig(env, dataDir, variable);
  }
  return stores;
}

function storeConfig(env: Env, dataDir: string, variable = "IMPRINT_STORE"): StoreConfig {
  // Read whatever the store, so that setting them with a file store is not "unknown".
  const attempts = integer(env, "IMPRINT_S3_ATTEMPTS", 5, 1, 20);
  const timeoutMs = integer(env, "IMPRINT_S3_TIMEOUT_MS", 30_000, 100, 600_000);
  const raw = env[variable]?.trim();
  if (!raw) return { kind: "file", path: path.join(dataDir, "store") };
  if (raw.startsWith("file://")) {
    let folder: string;
    try {
      folder = fileURLToPath(raw);
    } catch {
      throw new ConfigError(variable, `"${raw}" is not a file URL with an absolute path, such as file:///srv/imprint/store`);
    }
    return { kind: "file", path: folder };
  }
  if (raw.startsWith("s3://")) {
    try {
      parseS3Location(raw);
    } catch (error) {
      throw new ConfigError(variable, (error as Error).message);
    }
    const endpoint = env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || null;
    if (endpoint !== null && !/^https?:\/\/[^/]+/.test(endpoint)) {
      throw new ConfigError(env.AWS_ENDPOINT_URL_S3 ? "AWS_ENDPOINT_URL_S3" : "AWS_ENDPOINT_URL", `must be an http:// or https:// URL, got "${endpoint}"`);
    }
    const accessKeyId = env.AWS_ACCESS_KEY_ID;
    const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
    return {
      kind: "s3",
      location: raw,
      attempts,
      timeoutMs,
      endpoint,
      region: env.AWS_REGION || env.AWS_DEFAULT_REGION || "us-east-1",
      credentials: accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) } : null,
    };
  }
  throw new ConfigError(variable, `must be s3://bucket/prefix or file:///path, got "${raw}"`);
}

function computeHost(env: Env): string {
  const value = env.IMPRINT_COMPUTE_HOST || hostname();
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(value)) {
    throw new ConfigError("IMPRINT_COMPUTE_HOST", `must be 1 to 63 letters, digits, ".", "_" or "-", starting with a letter or digit, got "${value}"`);
  }
  return value;
}

/**
 * The configuration from the environment; throws a ConfigError naming the first variable
 * that is wrong. IMPRINT_* variables it never read are listed in `unknownVariables`.
 */
export function loadConfig(env: Env = process.env): Config {
  // The variables read are the ones known: no second list of names to keep in step.
  const read = new Set<string>();
  const watched = new Proxy(env, {
    get: (target, name) => {
      if (typeof name === "string") read.add(name);
      return target[name as string];
    },
  });
  const config = readConfig(watched);
  const unknownVariables = Object.keys(env)
    .filter((name) => name.startsWith("IMPRINT_") && !read.has(name))
    .sort();
  return { ...config, unknownVariables };
}

function readConfig(env: Env): Omit<Config, "unknownVariables"> {
  const mode = oneOf(env, "NODE_ENV", "development", ["development", "production", "test"] as const);
  const production = mode === "production";
  const dataDir = path.resolve(env.IMPRINT_DATA_DIR || "./data");

  const databaseUrl = env.DATABASE_URL || `file:${path.join(dataDir, "imprint.db")}`;
  if (!providerOf(databaseUrl)) {
    throw new ConfigError("DATABASE_URL", `must be a SQLite "file:" URL or a "postgresql://" URL, got "${redactedUrl(databaseUrl)}"`);
  }
  if (production && !env.DATABASE_URL) {
    throw new ConfigError("DATABASE_URL", "must be set explicitly when NODE_ENV=production");
  }

  const redisUrl = env.REDIS_URL || null;
  if (redisUrl !== null && !/^rediss?:\/\//.test(redisUrl)) {
    throw new ConfigError("REDIS_URL", `must be a "redis://" or "rediss://" URL, got "${redactedUrl(redisUrl)}"`);
  }

  const demoToken = env.IMPRINT_DEMO_TOKEN || undefined;
  if (demoToken !== undefined && demoToken.length < 16) {
    throw new ConfigError("IMPRINT_DEMO_TOKEN", "must be at least 16 characters");
  }
  if (production && demoToken !== undefined) {
    throw new ConfigError("IMPRINT_DEMO_TOKEN", "is not allowed when NODE_ENV=production (no demo data in production)");
  }

  return {
    env: mode,
    port: integer(env, "PORT", 4000, 0, 65535),
    host: env.HOST || (production ? "0.0.0.0" : "127.0.0.1"),
    dataDir,
    databaseUrl,
    redisUrl,
    trustedProxies: new Set((env.IMPRINT_TRUSTED_PROXIES ?? "").split(",").map((address) => address.trim()).filter(Boolean)),
    demoToken,
    // Read also in production, where it is ignored, so that setting it there is not "unknown".
    seedDemo: flag(env, "IMPRINT_SEED_DEMO", true) && !production,
    maxConcurrentOperations: integer(env, "IMPRINT_MAX_CONCURRENT_OPERATIONS", 4, 1, 64),
    osImageBytes: integer(env, "IMPRINT_OS_IMAGE_MB", 64, 1, 4096) * 1024 * 1024,
    progressPublishMs: integer(env, "IMPRINT_PROGRESS_PUBLISH_MS", 100, 10, 10_000),
    progressPersistMs: integer(env, "IMPRINT_PROGRESS_PERSIST_MS", 1000, 10, 60_000),
    heartbeatMs: integer(env, "IMPRINT_HEARTBEAT_MS", 2000, 50, 60_000),
    ssePingMs: integer(env, "IMPRINT_SSE_PING_MS", 12_000, 50, 600_000),
    staleOwnerMs: integer(env, "IMPRINT_STALE_OWNER_MS", 15_000, 200, 600_000),
    exportTtlMs: integer(env, "IMPRINT_EXPORT_TTL_MINUTES", 24 * 60, 1, 30 * 24 * 60) * 60_000,
    uploadTtlMs: integer(env, "IMPRINT_UPLOAD_TTL_MINUTES", 24 * 60, 1, 30 * 24 * 60) * 60_000,
    maxUploadBytes: integer(env, "IMPRINT_MAX_UPLOAD_MB", 100 * 1024, 1, 16 * 1024 * 1024) * 1024 * 1024,
    maxPageSize: 100,
    dbBusyTimeoutMs: integer(env, "IMPRINT_DB_BUSY_TIMEOUT_MS", 5000, 10, 60_000),
    dbPoolSize: integer(env, "IMPRINT_DB_POOL_SIZE", 10, 1, 1000),
    shutdownTimeoutMs: integer(env, "IMPRINT_SHUTDOWN_TIMEOUT_MS", 10_000, 100, 600_000),
    limits: {
      maxBodyBytes: integer(env, "IMPRINT_MAX_BODY_BYTES", 1024 * 1024, 1024, 64 * 1024 * 1024),
      maxDepth: integer(env, "IMPRINT_MAX_QUERY_DEPTH", 12, 2, 100),
      maxAliases: integer(env, "IMPRINT_MAX_QUERY_ALIASES", 30, 0, 10_000),
      maxDirectives: integer(env, "IMPRINT_MAX_QUERY_DIRECTIVES", 30, 0, 10_000),
      maxTokens: integer(env, "IMPRINT_MAX_QUERY_TOKENS", 3000, 100, 1_000_000),
      maxCost: integer(env, "IMPRINT_MAX_QUERY_COST", 20_000, 10, 100_000_000),
      maxNodeIds: 100,
      ratePerMinute: integer(env, "IMPRINT_RATE_LIMIT_PER_MINUTE", 1200, 1, 1_000_000),
    },
    quotas: {
      servers: integer(env, "IMPRINT_QUOTA_SERVERS", 100, 0, 1_000_000),
      templates: integer(env, "IMPRINT_QUOTA_TEMPLATES", 100, 0, 1_000_000),
      storedBytes: integer(env, "IMPRINT_QUOTA_STORED_GB", 1024, 0, 1_000_000) * 1024 ** 3,
      concurrentOperations: integer(env, "IMPRINT_QUOTA_CONCURRENT_OPERATIONS", 20, 1, 10_000),
    },
    logLevel: oneOf(env, "LOG_LEVEL", mode === "test" ? "error" : "info", ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const),
    exposure: {
      graphiql: flag(env, "IMPRINT_GRAPHIQL", !production),
      introspection: flag(env, "IMPRINT_INTROSPECTION", !production),
      corsOrigins: corsOrigins(env),
      debugErrors: flag(env, "IMPRINT_DEBUG_ERRORS", false),
    },
    store: storeConfig(env, dataDir),
    datacenterStores: datacenterStores(env, dataDir),
    hypervisor: {
      kind: oneOf(env, "IMPRINT_HYPERVISOR", "simulated", ["simulated", "qemu"] as const),
      computeHost: computeHost(env),
      shutdownTimeoutMs: integer(env, "IMPRINT_SHUTDOWN_GUEST_TIMEOUT_MS", 60_000, 100, 3_600_000),
      qemu: {
        binary: env.IMPRINT_QEMU_BINARY || "qemu-system-x86_64",
        accel: oneOf(env, "IMPRINT_QEMU_ACCEL", "auto", ["auto", "kvm", "tcg"] as const),
        maxMemoryMb: integer(env, "IMPRINT_QEMU_MAX_MEMORY_MB", 2048, 64, 1_048_576),
        guestImage: path.resolve(env.IMPRINT_GUEST_IMAGE || "build/guest/imprint-guest.img"),
        powerButtonRetryMs: integer(env, "IMPRINT_QEMU_POWER_BUTTON_RETRY_MS", 10_000, 100, 3_600_000),
      },
    },
  };
}
