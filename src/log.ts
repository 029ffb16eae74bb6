import type { Logger } from "./domain/deps.js";

/** Plain lines on stderr: `level message {fields}`. Quiet below errors in tests. */
export function createLogger(env: string): Logger {
  const line = (level: string, message: string, fields?: Record<string, unknown>) =>
    process.stderr.write(`${new Date().toISOString()} ${level} ${message}${fields ? ` ${JSON.stringify(fields)}` : ""}\n`);
  const quiet = env === "test";
  return {
    info: (message, fields) => (quiet ? undefined : line("info", message, fields)),
    warn: (message, fields) => (quiet ? undefined : line("warn", message, fields)),
    error: (message, fields) => line("error", message, fields),
  };
}
