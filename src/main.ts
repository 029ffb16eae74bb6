// Reads the configuration, builds the app, listens. Nothing else.
import { createApp } from "./app.js";
import { ConfigError, loadConfig } from "./config.js";

async function main(): Promise<void> {
  // Capture and restore keep volume reads and chunk writes (open, write, fsync, rename) in
  // flight together; libuv's default of 4 threads makes the reads wait behind the writes.
  // Read when the pool first starts, which is after this line.
  process.env.UV_THREADPOOL_SIZE ??= "16";
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`imprint: invalid configuration: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
  const app = await createApp(config);
  const { url } = await app.start();
  console.log(`imprint ${config.env} listening on ${url} (GraphiQL in a browser; data in ${config.dataDir})`);
  if (app.demo) {
    console.log(`demo account token: ${app.demo.token}`);
    console.log(`  curl -H 'Authorization: Bearer ${app.demo.token}' -H 'Content-Type: application/json' \\`);
    console.log(`       -d '{"query":"{ servers { totalCount edges { node { fqdn status powerState } } } }"}' ${url}`);
  }
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`imprint: ${signal}, stopping`);
    app.stop().then(
      () => process.exit(0),
      (error) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => shutdown("SIGINT"));
  process.on("SIGTERM", () => shutdown("SIGTERM"));
}

main().catch((error) => {
  console.error("imprint: failed to start:", error);
  process.exit(1);
});
