// Redis for the tests: the project machines' server (127.0.0.1:6379, as .ci/run makes sure),
// or a redis-server process of a test's own, which it can stop and start again on the same
// port in the middle of an operation.
import { spawn, type ChildProcess } from "node:child_process";
import { Redis } from "ioredis";
import { until } from "./wait.ts";
import { freePort } from "./ports.ts";

export const SHARED_REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

export interface OwnRedis {
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
}

/** A redis-server of the test's own, nothing on disk; `stop` kills it, `start` brings it back on its port. */
export async function ownRedis(): Promise<OwnRedis> {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let server: ChildProcess | null = null;
  const start = async () => {
    server = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
    await until(async () => {
      const probe = new Redis(url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
      probe.on("error", () => undefined);
      try {
        await probe.connect();
        return (await probe.ping()) === "PONG";
      } catch {
        return false;
      } finally {
        probe.disconnect();
      }
    }, `redis-server on port ${port}`, 10_000);
  };
  const stop = async () => {
    if (!server) return;
    const running = server;
    server = null;
    if (running.exitCode !== null) return;
    const ended = new Promise((resolve) => running.once("exit", resolve));
    running.kill("SIGKILL");
    await ended;
  };
  await start();
  return { url, start, stop };
}
