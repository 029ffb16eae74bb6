// Scale (issue item 7): 100,000 servers and 100,000 templates; the first page, a page after
// a cursor deep in the list, and totalCount.
import { hashToken } from "../src/domain/accounts/index.ts";
import { median, startBenchApp, type Row } from "./lib.ts";
import { seedServers } from "./seed.ts";

const ROWS = 100_000;
const SAMPLES = 20;

async function latency(run: () => Promise<unknown>): Promise<number> {
  await run();
  const times: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const started = performance.now();
    await run();
    times.push(performance.now() - started);
  }
  return median(times);
}

const cursorOf = (id: string) => Buffer.from(`cursor:${id}`).toString("base64url");

export async function scaleBenchmarks(): Promise<Row[]> {
  const bench = await startBenchApp();
  try {
    const { accountId } = await bench.app.domain.deps.db.apiToken.findFirstOrThrow({ where: { tokenHash: hashToken(bench.token) } });
    const { serverIds } = await seedServers(bench.app.domain.deps.db, accountId, ROWS, ROWS);
    const deepServer = [...serverIds].sort()[Math.floor(ROWS * 0.9)];
    const templates = await bench.app.domain.deps.db.imageTemplate.findMany({ select: { id: true }, orderBy: { id: "asc" }, skip: Math.floor(ROWS * 0.9), take: 1 });
    const rows: Row[] = [];
    for (const [list, deepId] of [["servers", deepServer], ["imageTemplates", templates[0].id]] as const) {
      const page = `query($after: String) { ${list}(first: 50, after: $after) { edges { node { id } } } }`;
      const first = await latency(() => bench.gql(page, {}));
      const deep = await latency(() => bench.gql(page, { after: cursorOf(deepId) }));
      const count = await latency(() => bench.gql(`{ ${list}(first: 1) { totalCount } }`));
      rows.push({
        benchmark: `7. scale, ${list}`,
        measure: `page of 50: first vs after 90,000 of ${ROWS.toLocaleString("en")}`,
        imprint: `${deep.toFixed(1)} ms deep`,
        baseline: `${first.toFixed(1)} ms first`,
        ratio: (deep / first).toFixed(2),
        target: "<= 2",
        met: deep / first <= 2 ? "yes" : "no",
      });
      rows.push({
        benchmark: `7. scale, ${list}`,
        measure: "totalCount",
        imprint: `${count.toFixed(1)} ms`,
        baseline: "-",
        ratio: "-",
        target: "context",
        met: "-",
      });
    }
    return rows;
  } finally {
    await bench.stop();
  }
}
