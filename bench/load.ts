// Load runs for the read-path benchmarks. autocannon runs in a child process: in the
// benchmark's own process its request loop would share the event loop with the server it
// measures, and the server's latency would include the load generator's work.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";

const autocannonCli = createRequire(import.meta.url).resolve("autocannon/autocannon.js");

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
}

export interface LoadRun {
  url: string;
  token: string;
  body: string;
  seconds: number;
  connections?: number;
}

export async function loadRun({ url, token, body, seconds, connections = 32 }: LoadRun): Promise<LoadResult> {
  const args = [
    autocannonCli, "--json", "-c", String(connections), "-d", String(seconds), "-m", "POST",
    "-H", "content-type: application/json", "-H", `authorization: Bearer ${token}`, "-b", body, url,
  ];
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => (stdout += chunk));
  child.stderr.on("data", (chunk) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  if (code !== 0) throw new Error(`autocannon exited ${code}: ${stderr}`);
  const result = JSON.parse(stdout);
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`load run had ${result.non2xx} non-2xx and ${result.errors} errors`);
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99 };
}
