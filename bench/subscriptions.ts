// Subscriptions (issue item 6): 5,000 SSE and 5,000 WebSocket subscribers (SUBSCRIBERS to
// change it) on one running operation; delay from publish to delivery, and the server's
// memory per subscriber. The server runs as its own process, so its memory is its own.
import Database from "better-sqlite3";
import { spawn } from "node:child_process";
import { randomFillSync } from "node:crypto";
import { open } from "node:fs/promises";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { LocalVolumeDriver } from "../src/storage/volume-driver.ts";
import { percentile, type Row } from "./lib.ts";
import { subscribeOverSse, subscribeOverWebSocket } from "./protocol-clients.ts";

const PER_TRANSPORT = Number(process.env.SUBSCRIBERS ?? 10_000) / 2;
const TOKEN = "imp_bench-subscriptions-token-0123";
const FOLLOW = `subscription($id: ID!) { operationProgress(id: $id) { status updatedAt } }`;

/** CPU seconds (user + system) a process has used (Linux: /proc/<pid>/stat fields 14 and 15, in clock ticks). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function rssBytes(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(match![1]) * 1024;
}

/** Writes random bytes over the start of the server's boot volume (found in the server's database). */
async function fillWithRandomData(dataDir: string, serverGlobalId: string, bytes: number): Promise<void> {
  const serverId = Buffer.from(serverGlobalId, "base64").toString().split(":")[1];
  const db = new Database(path.join(dataDir, "imprint.db"), { readonly: true });
  const { id } = db.prepare(`SELECT id FROM Volume WHERE serverId = ? AND "index" = 0`).get(serverId) as { id: string };
  db.close();
  const file = await open(new LocalVolumeDriver(path.join(dataDir, "volumes")).pathOf(id), "r+");
  const block = Buffer.allocUnsafe(4 * 1024 * 1024);
  try {
    for (let offset = 0; offset < bytes; offset += block.length) await file.write(randomFillSync(block), 0, block.length, offset);
  } finally {
    await file.close();
  }
}

export async function subscriptionBenchmarks(): Promise<Row[]> {
  const dataDir = mkdtempSync(path.join(tmpdir(), "imprint-bench-subs-"));
  const child = spawn(process.execPath, ["bench/slow-store-server.ts"], {
    env: {
      // Development, as `npm start` runs (in test mode yoga pings each SSE stream every 300 ms, not 12 s).
      ...process.env, NODE_ENV: "development", PORT: "0", IMPRINT_DATA_DIR: dataDir, IMPRINT_DEMO_TOKEN: TOKEN,
      // 2 GiB of data (written below) captured at 8 chunks a second: about a minute.
      IMPRINT_OS_IMAGE_MB: "8", IMPRINT_BENCH_CHUNK_WRITE_MS: "1000",
      IMPRINT_RATE_LIMIT_PER_MINUTE: "1000000", LOG_LEVEL: "error",
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const disposers: Array<() => void> = [];
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let output = "";
      child.stdout!.on("data", (chunk) => {
        output += chunk;
        const match = /listening on (\S+)/.exec(output);
        if (match) resolve(match[1]);
      });
      child.on("exit", (code) => reject(new Error(`server exited ${code}`)));
    });
    const gql = async (query: string, variables: Record<string, unknown> = {}) => {
      const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` }, body: JSON.stringify({ query, variables }) });
      return ((await response.json()) as { data: any }).data;
    };
    // The capture outlasts the connecting of every subscriber (see bench/slow-store-server.ts);
    // it is cancelled once they are measured.
    const created = (await gql(`mutation($input: CreateServerInput!) { createServer(input: $input) { ... on CreateServerPayload { server { id } operation { id } } } }`, {
      input: { hostname: "subs01", domain: "bench.example.com", datacenter: "dal10", cpu: 2, memoryMb: 4096, os: "DEBIAN_12_64",
        volumes: [{ role: "BOOT", capacityGb: 4 }] },
    })).createServer;
    let status = "";
    while (status !== "ACTIVE") {
      await new Promise((resolve) => setTimeout(resolve, 100));
      status = (await gql(`query($id: ID!) { node(id: $id) { ... on Server { status } } }`, { id: created.server.id })).node.status;
    }
    await fillWithRandomData(dataDir, created.server.id, 2 * 1024 ** 3);
    const capture = (await gql(`mutation($id: ID!) { captureImageTemplate(input: { serverId: $id, name: "subs" }) { ... on CaptureImageTemplatePayload { operation { id } } } }`, { id: created.server.id })).captureImageTemplate;
    const operationId = capture.operation.id;
    // The memory before the subscribers is taken once the capture holds its working set (its
    // chunks in flight and their buffers, 16 chunks in): that memory is the capture's, not theirs.
    for (;;) {
      const { node } = await gql(`query($id: ID!) { node(id: $id) { ... on Operation { bytesDone } } }`, { id: operationId });
      if (node.bytesDone >= 16 * 4 * 1024 ** 2) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const before = rssBytes(child.pid!);

    const delays: number[] = [];
    const lastDelays: number[] = [];
    let connected = 0;
    const failures = new Map<string, number>();
    const failed = (transport: string, resolve: () => void) => (reason: string) => {
      const key = `${transport}: ${reason}`.slice(0, 120);
      failures.set(key, (failures.get(key) ?? 0) + 1);
      resolve();
    };
    let measuring = false;
    // "The last subscriber" is the one whose first event came last.
    let lastSubscriber = -1;
    const onEvent = (subscriber: number) => (value: { data?: { operationProgress: { updatedAt: string } } }) => {
      const sent = Date.parse(value.data!.operationProgress.updatedAt);
      if (!measuring) return;
      const delay = Date.now() - sent;
      delays.push(delay);
      if (subscriber === lastSubscriber) lastDelays.push(delay);
    };
    const firstEvent: Array<Promise<void>> = [];
    const connecting = performance.now();
    for (let i = 0; i < 2 * PER_TRANSPORT; i++) {
      const sink = onEvent(i);
      firstEvent.push(
        new Promise<void>((resolve) => {
          let first = true;
          const next = (value: any) => {
            if (first) {
              first = false;
              connected++;
              lastSubscriber = i;
              resolve();
            }
            sink(value);
          };
          const subscriber = { next, error: failed(i % 2 === 0 ? "SSE" : "WS", resolve), complete: () => resolve() };
          const subscription = { query: FOLLOW, variables: { id: operationId } };
          disposers.push(i % 2 === 0 ? subscribeOverSse(url, TOKEN, subscription, subscriber) : subscribeOverWebSocket(url, TOKEN, subscription, subscriber));
        }),
      );
    }
    await Promise.all(firstEvent);
    console.error(`subscriptions: ${connected} subscribers had their first event after ${((performance.now() - connecting) / 1000).toFixed(1)} s`);
    if (failures.size) console.error("subscribers that failed:", Object.fromEntries(failures));
    const after = rssBytes(child.pid!);
    measuring = true;
    // Who uses the two cores while the delays are measured: the server, or these clients.
    const serverCpu = cpuSeconds(child.pid!);
    const clientCpu = process.cpuUsage();
    const window = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 5000));
    measuring = false;
    const seconds = (performance.now() - window) / 1000;
    const clientUsage = process.cpuUsage(clientCpu);
    const clientsShare = (clientUsage.user + clientUsage.system) / 1e6 / seconds;
    const serverSeconds = cpuSeconds(child.pid!) - serverCpu;
    console.error(
      `subscriptions: ${delays.length} deliveries in ${seconds.toFixed(1)} s; CPU in cores: server ${(serverSeconds / seconds).toFixed(2)}, ` +
        `the clients' process ${clientsShare.toFixed(2)}`,
    );
    await gql(`mutation($id: ID!) { cancelOperation(input: { id: $id }) { __typename } }`, { id: operationId });
    if (delays.length === 0) throw new Error("the operation ended before the subscribers were measured");
    const perSubscriber = (after - before) / (2 * PER_TRANSPORT);
    // Every delivery counts, not only the last subscriber's: the target is for all 10,000.
    const p99 = percentile(delays, 99);
    return [
      {
        benchmark: "6. subscriptions",
        measure: `${connected} subscribers (half SSE, half WS): delay publish to delivery, p50 / p99 (last subscriber; all)`,
        imprint: `${percentile(lastDelays, 50)} / ${percentile(lastDelays, 99)} ms; ${percentile(delays, 50)} / ${percentile(delays, 99)} ms`,
        baseline: "-",
        ratio: "-",
        target: "p99 <= 500 ms, all connected",
        met: p99 <= 500 && connected === 2 * PER_TRANSPORT ? "yes" : "no",
      },
      {
        benchmark: "6. subscriptions",
        measure: "server CPU per delivery while measuring (the cores the server and the clients' process used)",
        imprint: `${((serverSeconds / Math.max(1, delays.length)) * 1e6).toFixed(1)} us (${delays.length} deliveries in ${seconds.toFixed(1)} s)`,
        baseline: `server ${(serverSeconds / seconds).toFixed(2)}, clients ${clientsShare.toFixed(2)} cores`,
        ratio: "-",
        target: "context",
        met: "-",
      },
      {
        benchmark: "6. subscriptions",
        measure: "server memory (RSS) per subscriber",
        imprint: `${(perSubscriber / 1024).toFixed(1)} KiB`,
        baseline: `${(before / 1024 ** 2).toFixed(0)} MiB before`,
        ratio: "-",
        target: "<= 64 KiB",
        met: perSubscriber <= 64 * 1024 ? "yes" : "no",
      },
    ];
  } finally {
    for (const dispose of disposers) {
      try {
        dispose();
      } catch {
        // a client that already ended
      }
    }
    child.kill("SIGTERM");
    await new Promise((resolve) => child.once("exit", resolve));
    rmSync(dataDir, { recursive: true, force: true });
  }
}
