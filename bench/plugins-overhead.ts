// Issue 12's done-when: the read path with the security and operations plugins (scope-auth,
// token watch, request log and metrics, audit, CSRF, per-request validation) against the same
// code before them, both in this process, measured in alternating runs on the same data.
// BEFORE_TREE names a checkout of the commit before them (git worktree add …), with
// node_modules linked and `npx prisma generate` run in it.
import path from "node:path";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { median, ratio, type Row } from "./lib.ts";
import { loadRun } from "./load.ts";
import { PAGE_QUERY } from "./read-path.ts";
import { seedServers } from "./seed.ts";

// Runs of the same code differ by up to 25% on this machine: many short alternating runs,
// after one warm-up each, so the medians compare like with like.
const RUNS = 9;
const SECONDS = 5;

interface Started {
  url: string;
  token: string;
  stop(): Promise<void>;
}

async function start(tree: string): Promise<Started> {
  const { createApp } = await import(path.join(tree, "src/app.ts"));
  const { loadConfig } = await import(path.join(tree, "src/config.ts"));
  const dataDir = mkdtempSync(path.join(tmpdir(), "imprint-overhead-"));
  const app = await createApp(loadConfig({ NODE_ENV: "test", PORT: "0", IMPRINT_DATA_DIR: dataDir, IMPRINT_SEED_DEMO: "false", IMPRINT_RATE_LIMIT_PER_MINUTE: "1000000", LOG_LEVEL: "error" }));
  const { url } = await app.start();
  const { accountId, token } = await app.domain.accounts.create("bench");
  await seedServers(app.domain.deps.db, accountId, 200, 20);
  return { url, token, stop: () => app.stop() };
}

export async function pluginOverheadBenchmarks(): Promise<Row[]> {
  const before = process.env.BEFORE_TREE;
  if (!before) {
    console.log("plugins: set BEFORE_TREE to a checkout of the commit before issue 12 (see bench/plugins-overhead.ts); skipped");
    return [];
  }
  const old = await start(path.resolve(before));
  const now = await start(path.resolve(import.meta.dirname, ".."));
  try {
    const body = JSON.stringify({ query: PAGE_QUERY, variables: { first: 50 } });
    await loadRun({ url: old.url, token: old.token, body, seconds: 2 });
    await loadRun({ url: now.url, token: now.token, body, seconds: 2 });
    const oldRuns = [];
    const nowRuns = [];
    for (let run = 0; run < RUNS; run++) {
      oldRuns.push(await loadRun({ url: old.url, token: old.token, body, seconds: SECONDS }));
      nowRuns.push(await loadRun({ url: now.url, token: now.token, body, seconds: SECONDS }));
    }
    console.error(`plugins: requests/s with them ${nowRuns.map((r) => r.rps.toFixed(0)).join(" ")}; before them ${oldRuns.map((r) => r.rps.toFixed(0)).join(" ")}`);
    const rps = median(nowRuns.map((r) => r.rps));
    const oldRps = median(oldRuns.map((r) => r.rps));
    return [
      {
        benchmark: "12. read path with issue 12's plugins",
        measure: "requests/s, page of 50, 32 connections (p99 ms)",
        imprint: `${rps.toFixed(0)} (${median(nowRuns.map((r) => r.p99))})`,
        baseline: `before them: ${oldRps.toFixed(0)} (${median(oldRuns.map((r) => r.p99))})`,
        ratio: ratio(rps, oldRps),
        target: ">= 0.9",
        met: rps / oldRps >= 0.9 ? "yes" : "no",
      },
    ];
  } finally {
    await now.stop();
    await old.stop();
  }
}
