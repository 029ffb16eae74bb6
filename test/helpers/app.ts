// Starts the real app (a real SQLite file or PostgreSQL database (helpers/database.ts), real
// volume files, real HTTP server on port 0) in a temporary data directory.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createApp, type App, type Ports } from "../../src/app.ts";
import { loadConfig } from "../../src/config.ts";
import type { DbOptions } from "../../src/db/client.ts";
import type { Logger } from "../../src/domain/deps.ts";
import { GraphQLClient } from "./clients.ts";
import { dropTestDatabase, testDatabaseUrl } from "./database.ts";

export interface TestApp {
  app: App;
  url: string;
  dataDir: string;
  /** A client authenticated as a fresh account of this app. */
  client: GraphQLClient;
  newAccount(name?: string): Promise<GraphQLClient>;
  stop(options?: { keepData?: boolean }): Promise<void>;
}

export function testEnv(dataDir: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: "test",
    PORT: "0",
    HOST: "127.0.0.1",
    IMPRINT_DATA_DIR: dataDir,
    DATABASE_URL: testDatabaseUrl(dataDir),
    IMPRINT_SEED_DEMO: "false",
    IMPRINT_OS_IMAGE_MB: "8",
    IMPRINT_PROGRESS_PUBLISH_MS: "20",
    IMPRINT_PROGRESS_PERSIST_MS: "50",
    IMPRINT_HEARTBEAT_MS: "200",
    // Tests poll and fire requests far faster than a client would; the limit has its own test.
    IMPRINT_RATE_LIMIT_PER_MINUTE: "1000000",
    // Quiet also when a test runs in development mode; the log tests set their own level.
    LOG_LEVEL: "error",
    ...extra,
  };
}

export function tempDataDir(): string {
  return mkdtempSync(path.join(tmpdir(), "imprint-test-"));
}

/** Removes a data folder and its database. */
export function removeDataDir(dataDir: string): void {
  rmSync(dataDir, { recursive: true, force: true });
  dropTestDatabase(dataDir);
}

export async function startTestApp(
  options: { env?: Record<string, string>; dataDir?: string; ports?: Partial<Ports>; log?: Logger; db?: DbOptions } = {},
): Promise<TestApp> {
  const dataDir = options.dataDir ?? tempDataDir();
  const app = await createApp(loadConfig(testEnv(dataDir, options.env)), { ports: options.ports, log: options.log, db: options.db });
  const { url } = await app.start();
  const newAccount = async (name = `account-${Math.random().toString(36).slice(2, 8)}`) => {
    const { token } = await app.domain.accounts.create(name);
    return new GraphQLClient(url, token);
  };
  return {
    app,
    url,
    dataDir,
    client: await newAccount("main"),
    newAccount,
    async stop({ keepData = false } = {}) {
      await app.stop();
      if (!keepData) removeDataDir(dataDir);
    },
  };
}
