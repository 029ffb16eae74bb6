// One benchmark suite in a process of its own, as `npm run bench` runs each: bench/run.ts with
// IMPRINT_BENCH_SUITE set runs that suite alone and prints its rows on one marked line.
// `npm run bench` runs its suites this way, and `npm run bench:runtimes` another checkout's.
import { spawn } from "node:child_process";
import type { Row } from "./lib.ts";

export const SUITE_ENV = "IMPRINT_BENCH_SUITE";
export const ROWS_MARK = "IMPRINT_BENCH_ROWS ";

export interface SuiteProcess {
  suite: string;
  /** The Node to run it with, and its arguments before the script (e.g. a loader). */
  node?: string;
  args?: string[];
  /** The checkout whose bench/run.ts runs. */
  cwd?: string;
}

/** Runs one suite and returns its rows; what else it prints goes to stderr. */
export async function runSuiteProcess({ suite, node = process.execPath, args = [], cwd = process.cwd() }: SuiteProcess): Promise<Row[]> {
  const child = spawn(node, [...args, "bench/run.ts"], {
    cwd,
    // As in src/main.ts: more libuv threads, so reads do not queue behind chunk writes.
    env: { ...process.env, [SUITE_ENV]: suite, UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE ?? "16" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  const lines = output.split("\n");
  for (const text of lines) if (text && !text.startsWith(ROWS_MARK)) console.error(text);
  const line = lines.find((text) => text.startsWith(ROWS_MARK));
  if (code !== 0 || !line) throw new Error(`the ${suite} suite (${node} in ${cwd}) exited with code ${code}`);
  return JSON.parse(line.slice(ROWS_MARK.length)) as Row[];
}
