// Real server processes for crash and start-up tests: `src/main.ts` (or a test entry that
// wires faulty ports) in a child process, with its output and exit observed.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { testEnv } from "./app.ts";

export interface ChildServer {
  url: string;
  process: ChildProcessWithoutNullStreams;
  output(): string;
  /** Resolves when the output holds a line matching `pattern` (fails if the process exits first). */
  waitForOutput(pattern: RegExp): Promise<RegExpExecArray>;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

export function spawnServer(dataDir: string, env: Record<string, string>, entry = "src/main.ts"): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [entry], {
    env: { ...process.env, ...testEnv(dataDir, env) },
    stdio: ["pipe", "pipe", "pipe"],
  });
}

/** A script of scripts/ (as `npm run` starts it), with the test environment. */
export function spawnScript(script: string, args: string[], env: Record<string, string>): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [script, ...args], {
    env: { ...process.env, ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
}

/** The live processes whose parent is `pid`, from /proc. */
export function childrenOf(pid: number): number[] {
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
        return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === pid;
      } catch {
        return false; // ended while we looked
      }
    })
    .map(Number);
}

/** A process's arguments, as /proc has them. */
export function commandLine(pid: number): string[] {
  return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
}

/** The process's exit code and everything it printed. */
export function exited(child: ChildProcessWithoutNullStreams): Promise<{ code: number | null; output: string }> {
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  child.stderr.on("data", (chunk) => (output += chunk));
  return new Promise((resolve) => child.once("exit", (code) => resolve({ code, output })));
}

export async function startChildServer(dataDir: string, env: Record<string, string>, entry?: string): Promise<ChildServer> {
  const child = spawnServer(dataDir, env, entry);
  let output = "";
  const listeners = new Set<() => void>();
  let exitCode: number | null | undefined;
  const onData = (chunk: Buffer) => {
    output += chunk;
    for (const listener of listeners) listener();
  };
  child.stdout.on("data", onData);
  child.stderr.on("data", onData);
  const exit = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => {
      exitCode = code;
      for (const listener of listeners) listener();
      resolve(code);
    }),
  );
  const waitForOutput = (pattern: RegExp) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const check = () => {
        const match = pattern.exec(output);
        if (match) {
          listeners.delete(check);
          resolve(match);
        } else if (exitCode !== undefined) {
          listeners.delete(check);
          reject(new Error(`server exited with ${exitCode} before printing ${pattern}: ${output}`));
        }
      };
      listeners.add(check);
      check();
    });
  const [, url] = await waitForOutput(/listening on (\S+)/);
  return {
    url,
    process: child,
    output: () => output,
    waitForOutput,
    async kill(signal = "SIGKILL") {
      if (exitCode === undefined) child.kill(signal);
      return exit;
    },
  };
}
