// The read path on PostgreSQL: imprint with DATABASE_URL=postgresql:// against a floor of raw
// node:http + pg (named prepared statements) running the same SQL on the same data, as the
// SQLite read path is held against better-sqlite3.
import { randomBytes } from "node:crypto";
import { createPostgresqlDatabase, dropPostgresqlDatabase } from "../scripts/postgresql-admin.ts";
import { hashToken } from "../src/domain/accounts/index.ts";
import { median, ratio, startBenchApp, type Row } from "./lib.ts";
import { loadRun, type LoadResult } from "./load.ts";
import { PostgresqlPageSql } from "./page-sql-postgresql.ts";
import { PAGE_QUERY, startFloor } from "./read-path.ts";
import { seedServers } from "./seed.ts";

const RUNS = 3;
const SECONDS = 5;

export async function readPathPostgresqlBenchmarks(): Promise<Row[]> {
  const database = `imprint_bench_${randomBytes(4).toString("hex")}`;
  const databaseUrl = createPostgresqlDatabase(database);
  const bench = await startBenchApp({ DATABASE_URL: databaseUrl });
  let floor: { url: string; close: () => void } | undefined;
  try {
    const { accountId } = await bench.app.domain.deps.db.apiToken.findFirstOrThrow({ where: { tokenHash: hashToken(bench.token) } });
    await seedServers(bench.app.domain.deps.db, accountId, 200, 20);
    floor = await startFloor(new PostgresqlPageSql(databaseUrl));
    const body = JSON.stringify({ query: PAGE_QUERY, variables: { first: 50 } });
    const answers = await Promise.all([bench.url, floor.url].map((url) =>
      fetch(url, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${bench.token}` }, body }).then((r) => r.json()),
    ));
    const [mine, theirs] = answers.map((answer) => JSON.stringify(answer.data));
    if (mine !== theirs) throw new Error("imprint and the floor answer differently");
    const imprintRuns: LoadResult[] = [];
    const floorRuns: LoadResult[] = [];
    for (let run = 0; run < RUNS; run++) {
      imprintRuns.push(await loadRun({ url: bench.url, token: bench.token, body, seconds: SECONDS }));
      floorRuns.push(await loadRun({ url: floor.url, token: bench.token, body, seconds: SECONDS }));
    }
    const rps = median(imprintRuns.map((r) => r.rps));
    const floorRps = median(floorRuns.map((r) => r.rps));
    const spread = (runs: LoadResult[]) => `${Math.min(...runs.map((r) => r.rps)).toFixed(0)}-${Math.max(...runs.map((r) => r.rps)).toFixed(0)}`;
    const latencies = (runs: LoadResult[]) => `(${median(runs.map((r) => r.p50))} / ${median(runs.map((r) => r.p99))})`;
    const p99 = median(imprintRuns.map((r) => r.p99));
    return [
      {
        benchmark: "5b. read path on PostgreSQL, page of 50",
        measure: `requests/s at 32 connections, median of ${RUNS} (spread) (p50 / p99 ms)`,
        imprint: `${rps.toFixed(0)} [${spread(imprintRuns)}] ${latencies(imprintRuns)}`,
        baseline: `floor node:http + pg: ${floorRps.toFixed(0)} [${spread(floorRuns)}] ${latencies(floorRuns)}`,
        ratio: ratio(rps, floorRps),
        target: ">= 0.5, p99 <= 100 ms",
        met: rps / floorRps >= 0.5 && p99 <= 100 ? "yes" : "no",
      },
    ];
  } finally {
    floor?.close();
    await bench.stop();
    dropPostgresqlDatabase(database);
  }
}
