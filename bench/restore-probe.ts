// A probe, not a suite: where a restore's time goes. One 1 GiB mixed template, then deploys
// alternating with `zstd -d` + sync into a new file, each run with the block layer's figures
// (/sys/block/<disk>/stat), the machine's CPU split (/proc/stat), I/O pressure and this
// process's CPU time beside its wall time. PERF=1 also records each run with `perf record -a -g`
// into bench/out/ (read with `perf report -i FILE --no-children --sort sym`; run under
// `node --perf-basic-prof` for JavaScript names). A deploy's figures include the deletion of its
// server that follows it; its seconds do not. Usage:
//   node bench/restore-probe.ts            RUNS=6 DISK=vda PERF=1 node bench/restore-probe.ts
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { benchServer, GIB, median, spread, startBenchApp, timeCommand, timedCapture, timedDeploy, writeMixedContent } from "./lib.ts";

const RUNS = Number(process.env.RUNS ?? 6);
const DISK = process.env.DISK ?? "vda";
const PERF_DIR = path.join(import.meta.dirname, "out");

// Fields of /sys/block/<disk>/stat (Documentation/block/stat.rst): sectors are 512 bytes, ticks ms.
const disk = () => readFileSync(`/sys/block/${DISK}/stat`, "utf8").trim().split(/\s+/).map(Number);
const cpu = () => readFileSync("/proc/stat", "utf8").split("\n")[0].split(/\s+/).slice(1).map(Number);
const ioStalledUs = () => Number(/full .*total=(\d+)/.exec(readFileSync("/proc/pressure/io", "utf8"))?.[1] ?? 0);

let recorded = 0;
async function probe(side: string, run: () => Promise<number>) {
  const perf = process.env.PERF ? spawn("perf", ["record", "-q", "-a", "-g", "-e", "cpu-clock", "-F", "999", "-o", path.join(PERF_DIR, `${side}-${recorded++}.data`)], { stdio: "ignore" }) : null;
  if (perf) await new Promise((resolve) => setTimeout(resolve, 300)); // perf's own start
  const [disk0, cpu0, stalled0, own0] = [disk(), cpu(), ioStalledUs(), process.cpuUsage()];
  const ms = await run();
  const [disk1, cpu1, stalled1, own] = [disk(), cpu(), ioStalledUs(), process.cpuUsage(own0)];
  if (perf) {
    perf.kill("SIGINT");
    await new Promise((resolve) => perf.on("close", resolve));
  }
  const d = disk1.map((value, i) => value - disk0[i]);
  const c = cpu1.map((value, i) => value - cpu0[i]);
  const ticks = c.reduce((sum, value) => sum + value, 0);
  const share = (i: number) => `${Math.round((c[i] / ticks) * 100)}%`;
  return {
    side,
    seconds: Number((ms / 1000).toFixed(2)),
    "written MiB": Math.round(d[6] / 2048),
    "write requests": d[4],
    "disk busy s": d[9] / 1000,
    "flushes": d[15] ?? 0,
    "cpu user": share(0),
    "cpu system": share(2),
    "cpu iowait": share(4),
    "io stalled s": (stalled1 - stalled0) / 1e6,
    "this process's cpu s": Number(((own.user + own.system) / 1e6).toFixed(2)),
  };
}

if (process.env.PERF) mkdirSync(PERF_DIR, { recursive: true });
const bench = await startBenchApp({ IMPRINT_PROGRESS_PERSIST_MS: "1000" });
const scratch = mkdtempSync(path.join(tmpdir(), "imprint-probe-"));
try {
  const server = await benchServer(bench, "mixed01", 1);
  await writeMixedContent(server.dataVolume, GIB, "bench-mixed");
  await timeCommand("sync");
  const { templateId } = await timedCapture(bench, server.id, "probe");
  const zst = path.join(scratch, "volume.zst");
  await timeCommand(`zstd -3 -T0 -q -f '${server.dataVolume}' -o '${zst}'`);
  const rows = [];
  for (let run = 0; run < RUNS; run++) {
    // timedDeploy syncs before it starts, and deletes its server after it stops timing.
    rows.push(await probe("deploy", () => timedDeploy(bench, templateId, `probe${run}`)));
    const restored = path.join(scratch, `restored${run}.raw`);
    await timeCommand("sync");
    rows.push(await probe("zstd -d + sync", () => timeCommand(`zstd -d -q -f '${zst}' -o '${restored}' && sync '${restored}'`)));
    rmSync(restored);
  }
  console.table(rows);
  for (const side of ["deploy", "zstd -d + sync"]) {
    const times = rows.filter((row) => row.side === side).map((row) => row.seconds * 1000);
    console.log(`${side}: median ${(median(times) / 1000).toFixed(2)} s (${spread(times)})`);
  }
} finally {
  await bench.stop();
  rmSync(scratch, { recursive: true, force: true });
}
