// A real imprint process with a faulty port, for crash tests: `src/main.ts` with the image
// store or volume driver of test/helpers/faults.ts. IMPRINT_TEST_FAULTS (JSON) says where it
// stops; there it prints "fault: paused at <point>" and waits to be killed, or, with
// `resumeWhenFile`, until that file exists, and then goes on.
import { existsSync } from "node:fs";
import path from "node:path";
import { createApp } from "../../src/app.ts";
import { loadConfig } from "../../src/config.ts";
import { serve } from "../../src/serve.ts";
import { FaultyImageStore, FaultyVolumeDriver, type Pause } from "./faults.ts";

interface Faults {
  pauseAtPut?: number;
  pauseAtGet?: number;
  pauseAtDelete?: number;
  pauseAfterReplace?: number;
  resumeWhenFile?: string;
}

const faults = JSON.parse(process.env.IMPRINT_TEST_FAULTS ?? "{}") as Faults;
const stopAt = (point: string): Pause => ({
  async pass() {
    console.log(`fault: paused at ${point}`);
    const resume = faults.resumeWhenFile;
    if (!resume) await new Promise(() => undefined);
    while (resume && !existsSync(resume)) await new Promise((resolve) => setTimeout(resolve, 20));
    console.log(`fault: resumed at ${point}`);
  },
});
const at = (nth: number | undefined, point: string) => (nth === undefined ? undefined : { nth, gate: stopAt(`${point} ${nth}`) });

const config = loadConfig();
const store = new FaultyImageStore(path.join(config.dataDir, "store"), {
  pauseAtPut: at(faults.pauseAtPut, "chunk write"),
  pauseAtGet: at(faults.pauseAtGet, "chunk read"),
  pauseAtDelete: at(faults.pauseAtDelete, "chunk delete"),
});
const volumes = new FaultyVolumeDriver(path.join(config.dataDir, "volumes"), {
  pauseAfterReplace: at(faults.pauseAfterReplace, "volume swap"),
});
await serve(await createApp(config, { ports: { store, volumes } }));
