// npm run bench:runtimes -- --old-dir DIR --old-node NODE [suite ...]
//
// What a change of runtime did: each suite of `npm run bench` runs in an older checkout on its
// own Node (DIR, prepared with `git worktree add DIR <commit> && (cd DIR && npm ci)`), then here
// on this checkout's Node, suite by suite, so both sides of a row share the machine's state.
// Prints one table: each side's measure and its own ratio to its baseline.
import { spawn } from "node:child_process";
import { parseArgs } from "node:util";
import { runSuiteProcess } from "./suite-process.ts";

const { values, positionals } = parseArgs({
  options: { "old-dir": { type: "string" }, "old-node": { type: "string" }, "old-loader": { type: "string", default: "tsx" } },
  allowPositionals: true,
});
const oldDir = values["old-dir"];
const oldNode = values["old-node"];
if (!oldDir || !oldNode) {
  console.error("usage: npm run bench:runtimes -- --old-dir DIR --old-node NODE [--old-loader tsx|none] [suite ...]");
  process.exit(2);
}

const SUITES = ["capture", "read-path", "scale", "subscriptions", "concurrency", "plugins"];

interface Side {
  name: string;
  node: string;
  args: string[];
  cwd: string;
}

async function version(node: string): Promise<string> {
  const child = spawn(node, ["--version"], { stdio: ["ignore", "pipe", "inherit"] });
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  await new Promise((resolve) => child.on("close", resolve));
  return output.trim();
}

const old: Side = { name: `old (${await version(oldNode)})`, node: oldNode, args: values["old-loader"] === "none" ? [] : ["--import", values["old-loader"]!], cwd: oldDir };
const current: Side = { name: `new (${process.version})`, node: process.execPath, args: [], cwd: process.cwd() };

const table: string[] = [
  `| benchmark | measure | ${old.name} | ratio | ${current.name} | ratio | target |`,
  "|---|---|---|---|---|---|---|",
];
for (const suite of positionals.length ? positionals : SUITES) {
  console.error(`running ${suite} on ${old.name}, then on ${current.name}...`);
  const [before, after] = [await runSuiteProcess({ suite, ...old }).catch((error: Error) => error), await runSuiteProcess({ suite, ...current }).catch((error: Error) => error)];
  if (before instanceof Error || after instanceof Error) {
    table.push(`| ${suite} | the suite failed: ${[before, after].filter((side) => side instanceof Error).map((error) => (error as Error).message).join("; ")} | | | | | |`);
    continue;
  }
  // Rows are matched by benchmark and measure, in order: a suite may print one measure twice
  // against two baselines (the read path's floor and plain graphql-yoga).
  const unmatched = [...before];
  for (const row of after) {
    const at = unmatched.findIndex((candidate) => candidate.benchmark === row.benchmark && candidate.measure === row.measure);
    const was = at >= 0 ? unmatched.splice(at, 1)[0] : undefined;
    table.push(`| ${row.benchmark} | ${row.measure} | ${was ? `${was.imprint} (baseline ${was.baseline})` : "-"} | ${was?.ratio ?? "-"} | ${row.imprint} (baseline ${row.baseline}) | ${row.ratio} | ${row.target} |`);
    console.error(`  ${row.benchmark} | ${row.measure} | ${was?.imprint ?? "-"} -> ${row.imprint}`);
  }
}
console.log(`\n${table.join("\n")}\n`);
