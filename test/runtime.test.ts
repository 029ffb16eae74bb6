// The runtime: the Node that package.json brings runs everything, and `npm start` puts nothing
// between a signal and the server (a real `npm start`, its process tree read from /proc).
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { tempDataDir, testEnv } from "./helpers/app.ts";
import { childrenOf, commandLine, exited, processAlive } from "./helpers/child.ts";
import { until } from "./helpers/wait.ts";

const pkg = JSON.parse(readFileSync("package.json", "utf8"));
const runtime: string = pkg.dependencies.node;

describe("the runtime", () => {
  it("is the Node that package.json depends on, and .nvmrc, engines and the README name the same one", () => {
    expect(process.version).toBe(`v${runtime}`);
    expect(readFileSync(".nvmrc", "utf8").trim()).toBe(runtime);
    expect(pkg.engines.node).toBe(`^${runtime}`);
    expect(readFileSync("README.md", "utf8")).toContain(`npx --yes --package=node@${runtime} -- npm install`);
  });
});

/** Every process a test started, killed after it (a failing test must not leave a server behind). */
const started: number[] = [];
afterEach(() => {
  for (const pid of started.splice(0)) if (processAlive(pid)) process.kill(pid, "SIGKILL");
});

/** `npm start` on a new data folder, with the address it listens on and the processes it started. */
async function npmStart() {
  const npm = spawn("npm", ["start"], { env: { ...process.env, ...testEnv(tempDataDir()) } });
  const done = exited(npm);
  let output = "";
  npm.stdout.on("data", (chunk) => (output += chunk));
  started.push(npm.pid!);
  const url = await until(async () => /listening on (\S+)/.exec(output)?.[1], "npm start to listen", 60_000);
  const children = childrenOf(npm.pid!);
  started.push(...children);
  return { npm, done, url, children, output: () => output };
}

describe("npm start", () => {
  it("starts the server itself: one node process running src/main.ts on the packaged Node, with no wrapper", async () => {
    const { url, children } = await npmStart();
    expect(children).toHaveLength(1);
    expect(commandLine(children[0])).toEqual([expect.stringMatching(/node$/), "src/main.ts"]);
    expect(childrenOf(children[0])).toEqual([]);
    const health = await (await fetch(url.replace(/\/graphql$/, "/healthz"))).json();
    expect(health).toEqual({ status: "ok", node: `v${runtime}` });
  });

  it("stops the server cleanly when npm gets SIGTERM: the server says so, exits, and frees its port", async () => {
    const { npm, done, url, children, output } = await npmStart();
    npm.kill("SIGTERM");
    await done;
    await until(async () => !processAlive(children[0]), "the server process to end", 30_000);
    expect(output()).toContain("imprint: SIGTERM, stopping");
    await expect(fetch(url.replace(/\/graphql$/, "/healthz"))).rejects.toThrow();
  });

  it("ends, with the server's exit code, when the process it started gets SIGTERM", async () => {
    const { done, url, children, output } = await npmStart();
    process.kill(children[0], "SIGTERM");
    const { code } = await done;
    expect(code).toBe(0);
    expect(processAlive(children[0])).toBe(false);
    expect(output()).toContain("imprint: SIGTERM, stopping");
    await expect(fetch(url.replace(/\/graphql$/, "/healthz"))).rejects.toThrow();
  });
});
