// GET /healthz: the process is up. GET /readyz: it can do its work: the database answers,
// every migration is applied, the image store answers (the local one: writable and not full). A failing check
// makes it 503, naming the check and why (load balancers route on it; operators read it).
import { providerOfDb, type Db } from "../db/client.ts";
import { migrationNames, migrationsDir } from "../db/migrate.ts";
import type { ImageStore } from "../storage/image-store.ts";

const CHECK_TIMEOUT_MS = 2000;

export interface Readiness {
  ready: boolean;
  checks: Record<string, "ok" | string>;
}

/** What /readyz checks besides the database and the store: a shared Redis, when there is one. */
export interface SharedServices {
  redis: { problem(): string | null; ping(): Promise<unknown> } | null;
  /** True once the instance drains for a restart: it is not ready for new work. */
  draining?: () => boolean;
}

export async function readiness(db: Db, store: Pick<ImageStore, "problem">, shared: SharedServices = { redis: null }): Promise<Readiness> {
  const checks: Record<string, string> = {};
  const run = async (name: string, check: () => Promise<string | null>) => {
    try {
      checks[name] = (await withTimeout(check(), name)) ?? "ok";
    } catch (error) {
      checks[name] = (error as Error).message;
    }
  };
  await run("database", async () => {
    await db.$queryRawUnsafe("SELECT 1");
    return null;
  });
  await run("migrations", async () => {
    const applied = new Set(
      ((await db.$queryRawUnsafe(`SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`)) as Array<{ migration_name: string }>).map((row) => row.migration_name),
    );
    const pending = migrationNames(migrationsDir(providerOfDb(db))).filter((name) => !applied.has(name));
    return pending.length ? `not applied: ${pending.join(", ")}` : null;
  });
  if (shared.redis) {
    const redis = shared.redis;
    await run("redis", async () => redis.problem() ?? (await redis.ping(), null));
  }
  if (shared.draining?.()) checks.accepting = "draining: this instance is shutting down";
  await run("imageStore", () => store.problem());
  return { ready: Object.values(checks).every((value) => value === "ok"), checks };
}

function withTimeout<T>(work: Promise<T>, name: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    work,
    new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`${name} did not answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS))),
  ]).finally(() => clearTimeout(timer));
}
