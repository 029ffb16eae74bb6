// Structured logs: one JSON object per line on stderr (pino), pretty in development.
// LOG_LEVEL (config.logLevel) picks the level.
import pino from "pino";
import type { Config } from "./config.ts";
import type { Logger } from "./domain/deps.ts";

export function createLogger({ env, logLevel }: Pick<Config, "env" | "logLevel">): Logger {
  const base = pino(
    { level: logLevel, base: undefined },
    env === "development" ? pino.transport({ target: "pino-pretty", options: { destination: 2, translateTime: "SYS:HH:MM:ss.l" } }) : pino.destination(2),
  );
  return {
    info: (message, fields) => base.info(fields ?? {}, message),
    warn: (message, fields) => base.warn(fields ?? {}, message),
    error: (message, fields) => base.error(fields ?? {}, message),
  };
}
