// Structured logs: one JSON object per line on stderr (pino), pretty in development.
// LOG_LEVEL picks the level (default info; error in tests).
import pino from "pino";
import type { Logger } from "./domain/deps.js";

export function createLogger(env: string, level = process.env.LOG_LEVEL): Logger {
  const base = pino(
    { level: level || (env === "test" ? "error" : "info"), base: undefined },
    env === "development" ? pino.transport({ target: "pino-pretty", options: { destination: 2, translateTime: "SYS:HH:MM:ss.l" } }) : pino.destination(2),
  );
  return {
    info: (message, fields) => base.info(fields ?? {}, message),
    warn: (message, fields) => base.warn(fields ?? {}, message),
    error: (message, fields) => base.error(fields ?? {}, message),
  };
}
