// The server of the subscription benchmark: imprint (src/main.ts's serve) with an image store
// that takes IMPRINT_BENCH_CHUNK_WRITE_MS per chunk write. A capture then runs long enough,
// with steady progress events, for thousands of subscribers to connect and be measured.
// (A capture's cost follows its data, so without this it would end in a second or two.)
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { createApp } from "../src/app.ts";
import { loadConfig } from "../src/config.ts";
import { serve } from "../src/serve.ts";
import { LocalImageStore } from "../src/storage/image-store.ts";

const writeMs = Number(process.env.IMPRINT_BENCH_CHUNK_WRITE_MS ?? 1000);

class SlowImageStore extends LocalImageStore {
  override async putChunk(hash: string, compressed: Uint8Array): Promise<void> {
    await sleep(writeMs);
    await super.putChunk(hash, compressed);
  }
}

const config = loadConfig();
await serve(await createApp(config, { ports: { store: new SlowImageStore(path.join(config.dataDir, "store")) } }));
