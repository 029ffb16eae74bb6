// The GraphQL read path against two baselines on the same data: a floor (a plain node:http
// handler running the same SELECTs with better-sqlite3) and a plain graphql-yoga server
// (a static schema, the same SQL); and SQL statements per request.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { hashToken } from "../src/domain/accounts/index.ts";
import { median, ratio, startBenchApp, type Row } from "./lib.ts";
import { loadRun, type LoadResult } from "./load.ts";
import { PageSql, serverGlobalId, type OperationRow, type ServerRow, type TemplateRow, type VolumeRow } from "./page-sql.ts";
import { startPlainYoga } from "./plain-yoga.ts";
import { seedServers } from "./seed.ts";

export const PAGE_QUERY = `query($first: Int!) { servers(first: $first) { edges { node {
  id hostname fqdn status powerState datacenter
  volumes { index role capacityGb }
  sourceImageTemplate { name }
  latestOperation { kind status }
} } } }`;

const RUNS = 3;
const SECONDS = 5;

/** The statements of a page, on one database (page-sql.ts, page-sql-postgresql.ts). */
interface PageReads {
  accountOf(authorization: string | null | undefined): string | null | Promise<string | null>;
  servers(accountId: string, first: number): ServerRow[] | Promise<ServerRow[]>;
  volumes(serverIds: readonly string[]): VolumeRow[] | Promise<VolumeRow[]>;
  templates(ids: readonly string[]): TemplateRow[] | Promise<TemplateRow[]>;
  latestOperations(serverIds: readonly string[]): OperationRow[] | Promise<OperationRow[]>;
  close(): void;
}

/** The floor: the same data, the same JSON, no GraphQL, no ORM. */
export function startFloor(sql: PageReads) {
  const server = createServer((req, res) => {
    let raw = "";
    req.on("data", (chunk) => (raw += chunk));
    req.on("end", async () => {
      const accountId = await sql.accountOf(req.headers.authorization);
      if (!accountId) {
        res.writeHead(401).end();
        return;
      }
      const { variables } = JSON.parse(raw);
      const rows = await sql.servers(accountId, variables.first);
      const ids = rows.map((r) => r.id);
      const [volumes, templates, operations] = await Promise.all([
        sql.volumes(ids),
        sql.templates([...new Set(rows.map((r) => r.sourceImageTemplateId).filter((id): id is string => !!id))]),
        sql.latestOperations(ids),
      ]);
      const edges = rows.map((r) => {
        const template = templates.find((t) => t.id === r.sourceImageTemplateId);
        const operation = operations.find((o) => o.serverId === r.id);
        return {
          node: {
            id: serverGlobalId(r.id),
            hostname: r.hostname, fqdn: r.fqdn, status: r.status, powerState: r.powerState, datacenter: r.datacenter,
            volumes: volumes.filter((v) => v.serverId === r.id).map((v) => ({ index: v.index, role: v.role, capacityGb: v.capacityGb })),
            sourceImageTemplate: template ? { name: template.name } : null,
            latestOperation: operation ? { kind: operation.kind, status: operation.status } : null,
          },
        };
      });
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ data: { servers: { edges } } }));
    });
  });
  return new Promise<{ url: string; close: () => void }>((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, close: () => { server.close(); sql.close(); } }),
    ),
  );
}

export async function readPathBenchmarks(): Promise<Row[]> {
  let statements = 0;
  const bench = await startBenchApp({}, { onStatement: () => statements++ });
  let floor: { url: string; close: () => void } | undefined;
  let plain: { url: string; close: () => void } | undefined;
  try {
    const { accountId } = (await bench.app.domain.deps.db.apiToken.findFirstOrThrow({ where: { tokenHash: hashToken(bench.token) } }));
    await seedServers(bench.app.domain.deps.db, accountId, 200, 20);
    floor = await startFloor(new PageSql(bench.app.config.databaseUrl));
    plain = await startPlainYoga(bench.app.config.databaseUrl);
    const body = JSON.stringify({ query: PAGE_QUERY, variables: { first: 50 } });
    // The same answer from all three: the baselines are fair. (extensions, the cost report,
    // are imprint's own; the data must be the same.)
    const answers = await Promise.all([bench.url, floor.url, plain.url].map((url) =>
      fetch(url, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${bench.token}` }, body }).then((r) => r.json()),
    ));
    const [mine, ...theirs] = answers.map((answer) => JSON.stringify(answer.data));
    if (theirs.some((data) => data !== mine)) throw new Error("imprint and a baseline answer differently");

    const imprintRuns: LoadResult[] = [];
    const floorRuns: LoadResult[] = [];
    const plainRuns: LoadResult[] = [];
    for (let run = 0; run < RUNS; run++) {
      imprintRuns.push(await loadRun({ url: bench.url, token: bench.token, body, seconds: SECONDS }));
      floorRuns.push(await loadRun({ url: floor.url, token: bench.token, body, seconds: SECONDS }));
      plainRuns.push(await loadRun({ url: plain.url, token: bench.token, body, seconds: SECONDS }));
    }
    const rps = median(imprintRuns.map((r) => r.rps));
    const floorRps = median(floorRuns.map((r) => r.rps));
    const plainRps = median(plainRuns.map((r) => r.rps));
    const latencies = (runs: LoadResult[]) => `(${median(runs.map((r) => r.p50))} / ${median(runs.map((r) => r.p99))})`;
    const p99 = median(imprintRuns.map((r) => r.p99));
    const rows: Row[] = [
      {
        benchmark: "5. read path, page of 50",
        measure: "requests/s at 32 connections (p50 / p99 ms)",
        imprint: `${rps.toFixed(0)} ${latencies(imprintRuns)}`,
        baseline: `floor: ${floorRps.toFixed(0)} ${latencies(floorRuns)}`,
        ratio: ratio(rps, floorRps),
        target: ">= 0.5, p99 <= 100 ms",
        met: rps / floorRps >= 0.5 && p99 <= 100 ? "yes" : "no",
      },
      {
        benchmark: "5. read path, page of 50",
        measure: "requests/s at 32 connections (p50 / p99 ms)",
        imprint: `${rps.toFixed(0)} ${latencies(imprintRuns)}`,
        baseline: `plain graphql-yoga: ${plainRps.toFixed(0)} ${latencies(plainRuns)}`,
        ratio: ratio(rps, plainRps),
        target: ">= 1.5",
        met: rps / plainRps >= 1.5 ? "yes" : "no",
      },
    ];
    const counts: number[] = [];
    for (const first of [1, 10, 100]) {
      await bench.gql(PAGE_QUERY, { first }); // warm
      statements = 0;
      await bench.gql(PAGE_QUERY, { first });
      counts.push(statements);
    }
    rows.push({
      benchmark: "5. read path",
      measure: "SQL statements per request, pages of 1 / 10 / 100",
      imprint: counts.join(" / "),
      baseline: "floor: 5 / 5 / 5",
      ratio: "-",
      target: "the same for all sizes",
      met: new Set(counts).size === 1 ? "yes" : "no",
    });
    return rows;
  } finally {
    floor?.close();
    plain?.close();
    await bench.stop();
  }
}
