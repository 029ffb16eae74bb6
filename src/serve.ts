// Runs a built app as a process: listen, then take work; on SIGINT/SIGTERM drain (app.drain)
// and stop within a deadline, also when an operation is stuck on I/O. Start-up failures are
// one line.
import type { App } from "./app.ts";
import { sqliteFilePath } from "./db/client.ts";
import { redactedUrl } from "./db/provider.ts";
import { databaseFileProblem, databaseServerProblem } from "./db/errors.ts";

export async function serve(app: App): Promise<void> {
  const { config } = app;
  let url: string;
  try {
    ({ url } = await app.start());
  } catch (error) {
    console.error(`imprint: failed to start: ${startFailure(error, config)}`);
    await app.stop().catch(() => undefined);
    process.exit(1);
  }
  console.log(`imprint ${config.env} listening on ${url} (Node ${process.version}; GraphiQL in a browser; data in ${config.dataDir})`);
  if (app.demo) {
    console.log(`demo account token: ${app.demo.token}`);
    console.log(`  curl -H 'Authorization: Bearer ${app.demo.token}' -H 'Content-Type: application/json' \\`);
    console.log(`       -d '{"query":"{ servers { totalCount edges { node { fqdn status powerState } } } }"}' ${url}`);
  }
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`imprint: ${signal}, stopping (at most ${config.shutdownTimeoutMs} ms)`);
    // Operations still running are recovered by the next start (their owner is gone).
    setTimeout(() => {
      console.error(`imprint: still stopping after ${config.shutdownTimeoutMs} ms (IMPRINT_SHUTDOWN_TIMEOUT_MS); exiting`);
      process.exit(1);
    }, config.shutdownTimeoutMs).unref();
    // Two thirds of the deadline to let running operations end; the rest to roll back the others.
    app
      .drain(Math.floor((config.shutdownTimeoutMs * 2) / 3))
      .then(() => app.stop())
      .then(
        () => process.exit(0),
        (error) => {
          console.error(`imprint: stopping failed: ${(error as Error)?.message ?? error}`);
          process.exit(1);
        },
      );
  };
  process.on("SIGINT", () => shutdown("SIGINT"));
  process.on("SIGTERM", () => shutdown("SIGTERM"));
}

/** One line for why the start failed, naming what to fix (a port, a folder, a file). */
export function startFailure(error: unknown, config: Pick<App["config"], "port" | "dataDir" | "databaseUrl">): string {
  const code = (error as NodeJS.ErrnoException)?.code;
  const message = (error as Error)?.message ?? String(error);
  const databaseFile = sqliteFilePath(config.databaseUrl);
  if (code === "EADDRINUSE") return `port ${config.port} is already in use (set PORT to another port)`;
  if (code === "EACCES" && (error as { syscall?: string }).syscall === "listen") return `no permission to listen on port ${config.port} (set PORT)`;
  if (["EACCES", "EROFS", "ENOTDIR", "EEXIST", "ENOENT"].includes(code ?? "")) {
    return `the data directory ${config.dataDir} cannot be used (${code}): it must be a writable folder (IMPRINT_DATA_DIR)`;
  }
  const unreachable = databaseServerProblem(error);
  if (unreachable) return `the PostgreSQL server of DATABASE_URL ${redactedUrl(config.databaseUrl)} ${unreachable}`;
  const problem = databaseFileProblem(error);
  if (problem === "not a database") return `the database file ${databaseFile} is not an SQLite database (corrupt, or another file)`;
  if (problem === "cannot be opened") return `the database file ${databaseFile} cannot be opened (check the path and its folder's permissions)`;
  if (problem === "corrupt") return `the database file ${databaseFile} is corrupt`;
  return message.split("\n")[0];
}
