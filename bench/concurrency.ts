// Concurrent work (issue item 8): 4 captures at once against one alone, and the read path's
// latency while they run against its idle latency.
import { hashToken } from "../src/domain/accounts/index.ts";
import { benchServer, deleteTemplate, GIB, median, MIB, startBenchApp, timeCommand, timedCapture, writeMixedContent, type Row } from "./lib.ts";
import { PAGE_QUERY } from "./read-path.ts";
import { seedServers } from "./seed.ts";

export async function concurrencyBenchmarks(): Promise<Row[]> {
  const bench = await startBenchApp({ IMPRINT_PROGRESS_PERSIST_MS: "1000" });
  try {
    const { accountId } = await bench.app.domain.deps.db.apiToken.findFirstOrThrow({ where: { tokenHash: hashToken(bench.token) } });
    await seedServers(bench.app.domain.deps.db, accountId, 200, 20);
    const servers = [];
    for (let i = 0; i < 4; i++) {
      const server = await benchServer(bench, `busy0${i}`, 1);
      await writeMixedContent(server.dataVolume, GIB, `busy:${i}`);
      servers.push(server);
    }
    const readLatency = async (until: () => boolean) => {
      const times: number[] = [];
      do {
        const started = performance.now();
        await bench.gql(PAGE_QUERY, { first: 50 });
        times.push(performance.now() - started);
        await new Promise((resolve) => setTimeout(resolve, 50));
      } while (until());
      return median(times);
    };
    let idleCount = 0;
    const idle = await readLatency(() => ++idleCount < 20);

    // The reads that measure the latency run during both, so the two captures share the
    // process with the same probe (it costs a tenth of a core: its client runs here too).
    await timeCommand("sync");
    let aloneRunning = true;
    const one = timedCapture(bench, servers[0].id, "alone").finally(() => (aloneRunning = false));
    await readLatency(() => aloneRunning);
    const alone = await one;
    await deleteTemplate(bench, alone.templateId);
    await timeCommand("sync");

    let running = true;
    const started = performance.now();
    const all = Promise.all(servers.map((s, i) => timedCapture(bench, s.id, `together-${i}`))).finally(() => (running = false));
    const busy = await readLatency(() => running);
    await all;
    const together = performance.now() - started;
    const aloneRate = GIB / MIB / (alone.ms / 1000);
    const togetherRate = (4 * GIB) / MIB / (together / 1000);
    return [
      {
        benchmark: "8. concurrent captures",
        measure: "aggregate MiB/s: 4 at once vs 1 alone",
        imprint: `${togetherRate.toFixed(0)} MiB/s (4 × 1 GiB)`,
        baseline: `${aloneRate.toFixed(0)} MiB/s`,
        ratio: (togetherRate / aloneRate).toFixed(2),
        target: ">= 1",
        met: togetherRate >= aloneRate ? "yes" : "no",
      },
      {
        benchmark: "8. concurrent captures",
        measure: "read path p50 (page of 50) during vs idle",
        imprint: `${busy.toFixed(1)} ms`,
        baseline: `${idle.toFixed(1)} ms`,
        ratio: (busy / idle).toFixed(2),
        target: "<= 1.5",
        met: busy / idle <= 1.5 ? "yes" : "no",
      },
    ];
  } finally {
    await bench.stop();
  }
}
