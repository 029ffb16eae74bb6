// Reads the configuration, builds the app, serves it. Nothing else.
import { createApp } from "./app.ts";
import { ConfigError, loadConfig } from "./config.ts";
import { serve, startFailure } from "./serve.ts";

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
  for (const name of config.unknownVariables) {
    console.error(`imprint: warning: ${name} is not a setting of imprint and is ignored (the README lists them all)`);
  }
  let app;
  try {
    app = await createApp(config);
  } catch (error) {
    console.error(`imprint: failed to start: ${startFailure(error, config)}`);
    process.exit(1);
  }
  await serve(app);
}

main().catch((error) => {
  console.error(`imprint: failed to start: ${(error as Error)?.message ?? error}`);
  process.exit(1);
});
