// The GraphQL read path against a floor: a plain node:http handler running the same
// SELECTs with better-sqlite3 (issue item 5), and SQL statements per request.
import Database from "better-sqlite3";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { hashToken } from "../src/domain/accounts/index.js";
import { sqliteFilePath } from "../src/db/migrate.js";
import { median, ratio, startBenchApp, type Row } from "./lib.js";
import { loadRun } from "./load.js";
import { seedServers } from "./seed.js";

export const PAGE_QUERY = `query($first: Int!) { servers(first: $first) { edges { node {
  id hostname fqdn status powerState datacenter
  volumes { index role capacityGb }
  sourceImageTemplate { name }
  latestOperation { kind status }
} } } }`;

const RUNS = 3;
const SECONDS = 5;

/** The floor: the same data, the same JSON, no GraphQL, no ORM. */
function startFloor(databaseUrl: string) {
  const db = new Database(sqliteFilePath(databaseUrl), { readonly: true });
  const tokenStmt = db.prepare(`SELECT accountId FROM ApiToken WHERE tokenHash = ?`);
  const serversStmt = db.prepare(`SELECT id, hostname, fqdn, status, powerState, datacenter, sourceImageTemplateId FROM Server WHERE accountId = ? ORDER BY id LIMIT ?`);
  const server = createServer((req, res) => {
    let raw = "";
    req.on("data", (chunk) => (raw += chunk));
    req.on("end", () => {
      const account = tokenStmt.get(hashToken(String(req.headers.authorization).slice(7))) as { accountId: string } | undefined;
      if (!account) {
        res.writeHead(401).end();
        return;
      }
      const { variables } = JSON.parse(raw);
      const rows = serversStmt.all(account.accountId, variables.first) as any[];
      const ids = rows.map((r) => r.id);
      const marks = ids.map(() => "?").join(",");
      const volumes = db.prepare(`SELECT serverId, "index", role, capacityGb FROM Volume WHERE serverId IN (${marks}) ORDER BY serverId, "index"`).all(...ids) as any[];
      const templateIds = [...new Set(rows.map((r) => r.sourceImageTemplateId).filter(Boolean))];
      const templates = templateIds.length
        ? (db.prepare(`SELECT id, name FROM ImageTemplate WHERE id IN (${templateIds.map(() => "?").join(",")})`).all(...templateIds) as any[])
        : [];
      const operations = db
        .prepare(`SELECT serverId, kind, status FROM Operation WHERE id IN (SELECT MAX(id) FROM Operation WHERE serverId IN (${marks}) GROUP BY serverId)`)
        .all(...ids) as any[];
      const edges = rows.map((r) => ({
        node: {
          id: Buffer.from(`Server:${r.id}`).toString("base64"),
          hostname: r.hostname, fqdn: r.fqdn, status: r.status, powerState: r.powerState, datacenter: r.datacenter,
          volumes: volumes.filter((v) => v.serverId === r.id).map((v) => ({ index: v.index, role: v.role, capacityGb: v.capacityGb })),
          sourceImageTemplate: templates.find((t) => t.id === r.sourceImageTemplateId) ? { name: templates.find((t) => t.id === r.sourceImageTemplateId).name } : null,
          latestOperation: operations.find((o) => o.serverId === r.id) ? { kind: operations.find((o) => o.serverId === r.id).kind, status: operations.find((o) => o.serverId === r.id).status } : null,
        },
      }));
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ data: { servers: { edges } } }));
    });
  });
  return new Promise<{ url: string; close: () => void }>((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, close: () => { server.close(); db.close(); } }),
    ),
  );
}

export async function readPathBenchmarks(): Promise<Row[]> {
  let statements = 0;
  // One token makes every request here: the per-token rate limit is not what this measures.
  const bench = await startBenchApp({ IMPRINT_RATE_LIMIT_PER_MINUTE: "1000000" }, { onStatement: () => statements++ });
  const floor = await startFloor(bench.app.config.databaseUrl);
  try {
    const { accountId } = (await bench.app.domain.deps.db.apiToken.findFirstOrThrow({ where: { tokenHash: hashToken(bench.token) } }));
    seedServers(bench.app.config.databaseUrl, accountId, 200, 20);
    const body = JSON.stringify({ query: PAGE_QUERY, variables: { first: 50 } });
    // The same answer from both: the floor is a fair floor.
    const [a, b] = await Promise.all([bench.url, floor.url].map((url) =>
      fetch(url, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${bench.token}` }, body }).then((r) => r.json()),
    ));
    // extensions (the cost report) are imprint's own; the data must be the same.
    if (JSON.stringify(a.data) !== JSON.stringify(b.data)) throw new Error("imprint and the floor answer differently");

    const imprintRuns = [];
    const floorRuns = [];
    for (let run = 0; run < RUNS; run++) {
      imprintRuns.push(await loadRun({ url: bench.url, token: bench.token, body, seconds: SECONDS }));
      floorRuns.push(await loadRun({ url: floor.url, token: bench.token, body, seconds: SECONDS }));
    }
    const rps = median(imprintRuns.map((r) => r.rps));
    const floorRps = median(floorRuns.map((r) => r.rps));
    const rows: Row[] = [
      {
        benchmark: "5. read path, page of 50",
        measure: "requests/s at 32 connections (p50 / p99 ms)",
        imprint: `${rps.toFixed(0)} (${median(imprintRuns.map((r) => r.p50))} / ${median(imprintRuns.map((r) => r.p99))})`,
        baseline: `${floorRps.toFixed(0)} (${median(floorRuns.map((r) => r.p50))} / ${median(floorRuns.map((r) => r.p99))})`,
        ratio: ratio(rps, floorRps),
        target: ">= 0.5",
        met: rps / floorRps >= 0.5 ? "yes" : "no",
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
    floor.close();
    await bench.stop();
  }
}
