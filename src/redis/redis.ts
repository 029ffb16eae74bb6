// The Redis that several instances share (REDIS_URL): the operation events between them
// (event-transport.ts) and the per-token request budget (graphql/rate-limit.ts). Two
// connections, because one in subscriber mode can run nothing but (un)subscribe and ping.
// ioredis reconnects by itself, re-subscribing what was subscribed; while it is away,
// `problem()` says so, /readyz fails, and new subscriptions are refused.
import { Redis } from "ioredis";
import type { Logger } from "../domain/deps.ts";
import { redactedUrl } from "../db/provider.ts";

export interface SharedRedis {
  /** Commands and PUBLISH. */
  commands: Redis;
  /** SUBSCRIBE only. */
  subscriber: Redis;
  /** Why Redis cannot be used now, or null. */
  problem(): string | null;
  close(): Promise<void>;
}

/** How long a command waits for a Redis that is away before it fails (rather than queueing for ever). */
const COMMAND_TIMEOUT_MS = 2000;

export function connectRedis(url: string, log: Logger): SharedRedis {
  const options = {
    // Fail a command after one reconnection attempt instead of twenty: a request that needs
    // Redis answers UNAVAILABLE while it is away, rather than hanging.
    maxRetriesPerRequest: 1,
    commandTimeout: COMMAND_TIMEOUT_MS,
    retryStrategy: (attempt: number) => Math.min(attempt * 200, 2000),
  };
  const commands = new Redis(url, { ...options, connectionName: "imprint-commands" });
  const subscriber = new Redis(url, { ...options, connectionName: "imprint-events" });
  let lastError: string | null = null;
  for (const [name, connection] of [["commands", commands], ["events", subscriber]] as const) {
    connection.on("error", (error: Error) => {
      if (lastError !== error.message) log.warn("redis: connection error", { connection: name, error: error.message });
      lastError = error.message;
    });
    connection.on("ready", () => {
      if (lastError) log.info("redis: connected again", { connection: name });
      lastError = null;
    });
  }
  // Not waited for: an instance starts while Redis is away, not ready until it is back.
  const redacted = redactedUrl(url);
  return {
    commands,
    subscriber,
    problem: () => {
      for (const connection of [commands, subscriber]) {
        if (connection.status !== "ready") return `Redis at ${redacted} is unreachable (${connection.status}${lastError ? `: ${lastError}` : ""})`;
      }
      return null;
    },
    async close() {
      await Promise.allSettled([commands.quit(), subscriber.quit()]);
      commands.disconnect();
      subscriber.disconnect();
    },
  };
}
