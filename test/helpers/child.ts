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

/** Every process these helpers started and that has not exited: a test that fails before it kills its own leaves them here. */
const spawned = new Set<ChildProcessWithoutNullStreams>();

function tracked(child: ChildProcessWithoutNullStreams): ChildProcessWithoutNullStreams {
  spawned.add(child);
  child.once("exit", () => spawned.delete(child));
  return child;
}

/** Kills what is left of them (the setup file runs it after each test file). */
export function killSpawned(): void {
  for (const child of spawned) child.kill("SIGKILL");
}

export function spawnServer(dataDir: string, env: Record<string, string>, entry = "src/main.ts"): ChildProcessWithoutNullStreams {
  return tracked(spawn(process.execPath, [entry], {
    env: { ...process.env, ...testEnv(dataDir, env) },
    stdio: ["pipe", "pipe", "pipe"],
  }));
}

/** A script of scripts/ (as `npm run` starts it), with the test environment. */
export function spawnScript(script: string, args: string[], env: Record<string, string>): ChildProcessWithoutNullStreams {
  return tracked(spawn(process.execPath, [script, ...args], {
    env: { ...process.env, ...env },
    stdio: ["pipe", "pipe", "pipe"],
  }));
}

/** A process's state letter and parent pid, from /proc/<pid>/stat; null once it is gone. */
function procStat(pid: number | string): { state: string; parent: number } | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null; // ended (or ended while we looked)
  }
  // The command name, in parentheses, may hold spaces: the fields start after its last ")".
  const [state, parent] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { state, parent: Number(parent) };
}

/** Running, not exited (a zombie waiting for its parent to reap it has exited). */
export function processAlive(pid: number): boolean {
  const stat = procStat(pid);
  return stat !== null && stat.state !== "Z";
}

/** The processes whose parent is `pid`, from /proc. */
export function childrenOf(pid: number): number[] {
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry) && procStat(entry)?.parent === pid)
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
  let exitSignal: NodeJS.Signals | null = null;
  const onData = (chunk: Buffer) => {
    output += chunk;
    for (const listener of listeners) listener();
  };
  child.stdout.on("data", onData);
  child.stderr.on("data", onData);
  const exit = new Promise<number | null>((resolve) =>
    child.once("exit", (code, signal) => {
      exitCode = code;
      exitSignal = signal;
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
          reject(new Error(`server exited with ${exitSignal ?? exitCode} before printing ${pattern}: ${output}`));
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
