// npm run bench [-- name ...]: runs the benchmarks, prints one table, writes BENCHMARKS.md.
import { cpus, totalmem } from "node:os";
import { readFileSync, writeFileSync } from "node:fs";
import { captureBenchmarks } from "./capture.ts";
import { concurrencyBenchmarks } from "./concurrency.ts";
import { instancesBenchmarks } from "./instances.ts";
import { objectStoreBenchmarks } from "./object-store.ts";
import { readPathBenchmarks } from "./read-path.ts";
import { readPathPostgresqlBenchmarks } from "./read-path-postgresql.ts";
import { pluginOverheadBenchmarks } from "./plugins-overhead.ts";
import { scaleBenchmarks } from "./scale.ts";
import { subscriptionBenchmarks } from "./subscriptions.ts";
import type { Row } from "./lib.ts";
import { ROWS_MARK, runSuiteProcess, SUITE_ENV } from "./suite-process.ts";

// As in src/main.ts: more libuv threads, so reads do not queue behind chunk writes.
process.env.UV_THREADPOOL_SIZE ??= "16";

const suites: Record<string, () => Promise<Row[]>> = {
  capture: captureBenchmarks,
  "read-path": readPathBenchmarks,
  "read-path-postgresql": readPathPostgresqlBenchmarks,
  scale: scaleBenchmarks,
  subscriptions: subscriptionBenchmarks,
  concurrency: concurrencyBenchmarks,
  plugins: pluginOverheadBenchmarks,
  instances: instancesBenchmarks,
  "object-store": objectStoreBenchmarks,
};

// Each suite runs in a process of its own: in one process, a suite measured the heap and
// threads the suites before it had left (the read path, after the capture suite's gigabytes
// of buffers, served a third less while the floor did not move).
const only = process.env[SUITE_ENV];
if (only) {
  const suiteRows = await suites[only]!();
  process.stdout.write(`${ROWS_MARK}${JSON.stringify(suiteRows)}\n`);
  process.exit(0);
}

const chosen = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(suites);
const rows: Row[] = [];
for (const name of chosen) {
  if (!suites[name]) throw new Error(`unknown benchmark ${name}; choose from ${Object.keys(suites).join(", ")}`);
  console.error(`running ${name}...`);
  try {
    const suiteRows = await runSuiteProcess({ suite: name });
    for (const row of suiteRows) console.error(`  ${row.benchmark} | ${row.measure} | ${row.imprint} | ${row.baseline} | ${row.ratio} | ${row.met}`);
    rows.push(...suiteRows);
  } catch (error) {
    // One broken suite must not throw away the others' minutes of measurements.
    console.error(`  ${name} failed:`, error);
    rows.push({ benchmark: name, measure: "the benchmark failed", imprint: String((error as Error).message ?? error).slice(0, 200), baseline: "-", ratio: "-", target: "-", met: "no" });
  }
}

const header: Array<keyof Row> = ["benchmark", "measure", "imprint", "baseline", "ratio", "target", "met"];
const table = [
  `| ${header.join(" | ")} |`,
  `|${header.map(() => "---").join("|")}|`,
  ...rows.map((row) => `| ${header.map((key) => row[key]).join(" | ")} |`),
].join("\n");
const machine = `${cpus().length} cores (${cpus()[0]?.model ?? "unknown"}), ${(totalmem() / 1024 ** 3).toFixed(0)} GiB memory, Node ${process.version}`;
console.log(`\n${machine}\n\n${table}\n`);
if (chosen.length === Object.keys(suites).length) {
  const findings = readFileSync(new URL("./findings.md", import.meta.url), "utf8");
  writeFileSync(
    "BENCHMARKS.md",
    `# Benchmarks\n\nMeasured by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}: ${machine}.\n` +
      `Medians of several runs per side (3 for throughput, 20 samples for latencies); ratios are imprint / baseline.\n\n${table}\n\n${findings}`,
  );
  console.error("BENCHMARKS.md written");
}
