// What every benchmark shares: starting imprint in a temporary folder, talking to it over
// HTTP, timing commands, and medians.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createApp, type App } from "../src/app.ts";
import { loadConfig } from "../src/config.ts";
import type { DbOptions } from "../src/db/client.ts";
import { regionContent, REGION_BYTES, type RegionKind } from "../src/storage/synthetic-content.ts";

export interface Row {
  benchmark: string;
  measure: string;
  imprint: string;
  baseline: string;
  ratio: string;
  target: string;
  met: "yes" | "no" | "-";
}

export const GIB = 1024 ** 3;
export const MIB = 1024 ** 2;

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
/** The fastest and slowest of a set of runs. */
export const spread = (values: number[]) => `${seconds(Math.min(...values))}–${seconds(Math.max(...values))}`;
export const mib = (bytes: number) => `${(bytes / MIB).toFixed(1)} MiB`;
export const ratio = (a: number, b: number) => (b === 0 ? "-" : (a / b).toFixed(2));

/** A row holding imprint's time to at most `atMost` times the baseline's (a bare number: context only). */
export function timeRow(benchmark: string, measure: string, imprintMs: number, baselineMs: number, atMost: number | null, why = "", imprintText = seconds(imprintMs)): Row {
  return {
    benchmark,
    measure,
    imprint: imprintText,
    baseline: seconds(baselineMs),
    ratio: ratio(imprintMs, baselineMs),
    target: atMost === null ? "context" : `<= ${atMost}${why ? ` (${why})` : ""}`,
    met: atMost === null ? "-" : imprintMs / baselineMs <= atMost ? "yes" : "no",
  };
}

/**
 * Runs a shell command and returns its wall time in ms; throws if it fails. Asynchronous, so
 * the imprint server in this process keeps serving meanwhile.
 */
export async function timeCommand(command: string): Promise<number> {
  const started = performance.now();
  const child = spawn("bash", ["-c", command], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (chunk) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  if (code !== 0) throw new Error(`${command} failed: ${stderr}`);
  return performance.now() - started;
}

export function commandExists(name: string): boolean {
  return spawnSync("bash", ["-c", `command -v ${name}`]).status === 0;
}

export interface BenchApp {
  app: App;
  url: string;
  token: string;
  dataDir: string;
  gql<T = any>(query: string, variables?: Record<string, unknown>): Promise<T>;
  waitFor(operationId: string): Promise<any>;
  stop(): Promise<void>;
}

export async function startBenchApp(env: Record<string, string> = {}, dbOptions: DbOptions = {}): Promise<BenchApp> {
  const dataDir = mkdtempSync(path.join(tmpdir(), "imprint-bench-"));
  const config = loadConfig({
    NODE_ENV: "test",
    PORT: "0",
    IMPRINT_DATA_DIR: dataDir,
    IMPRINT_SEED_DEMO: "false",
    IMPRINT_OS_IMAGE_MB: "8",
    // One token drives each benchmark, far past a client's rate and an account's quotas (the
    // read-path data alone is 200 servers): limits are not what these measure.
    IMPRINT_RATE_LIMIT_PER_MINUTE: "1000000",
    IMPRINT_QUOTA_SERVERS: "1000000",
    IMPRINT_QUOTA_TEMPLATES: "1000000",
    LOG_LEVEL: "error",
    ...env,
  });
  const app = await createApp(config, { db: dbOptions });
  const { url } = await app.start();
  const { token } = await app.domain.accounts.create("bench");
  const gql = async <T>(query: string, variables: Record<string, unknown> = {}): Promise<T> => {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as { data: T; errors?: unknown };
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body.data;
  };
  const waitFor = async (operationId: string) => {
    for (;;) {
      const { node } = await gql<{ node: any }>(`query($id: ID!) { node(id: $id) { ... on Operation { status error { code message } bytesTotal } } }`, { id: operationId });
      if (["SUCCEEDED", "FAILED", "CANCELLED"].includes(node.status)) {
        if (node.status !== "SUCCEEDED") throw new Error(`operation ${node.status}: ${JSON.stringify(node.error)}`);
        return node;
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };
  return {
    app,
    url,
    token,
    dataDir,
    gql,
    waitFor,
    async stop() {
      await app.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export const KINDS: RegionKind[] = ["random", "text", "binary", "zero"];

/** Writes `bytes` of content at `offset`: a quarter each of random, text-like, structured binary and zeros. */
export async function writeMixedContent(file: string, bytes: number, seed: string, offset = 0): Promise<void> {
  const handle = await open(file, "r+");
  try {
    for (let done = 0, i = 0; done < bytes; done += REGION_BYTES, i++) {
      const content = regionContent(KINDS[i % 4], `${seed}:${i}`);
      if (content) await handle.write(content, 0, Math.min(REGION_BYTES, bytes - done), offset + done);
    }
  } finally {
    await handle.close();
  }
}

export const SERVER_FIELDS = `server { id } operation { id }`;

/** A server with a 2 GiB boot volume and a data volume of `dataGb`, its data volume's path. */
export async function benchServer(bench: BenchApp, hostname: string, dataGb: number): Promise<{ id: string; dataVolume: string }> {
  const { createServer } = await bench.gql<any>(
    `mutation($input: CreateServerInput!) { createServer(input: $input) { __typename ... on CreateServerPayload { ${SERVER_FIELDS} } ... on Error { message } } }`,
    {
      input: {
        hostname, domain: "bench.example.com", datacenter: "dal10", cpu: 2, memoryMb: 4096, os: "DEBIAN_12_64",
        volumes: [{ role: "BOOT", capacityGb: 2 }, { role: "DATA", capacityGb: dataGb }],
      },
    },
  );
  if (!createServer.operation) throw new Error(`createServer ${hostname} refused: ${createServer.message}`);
  await bench.waitFor(createServer.operation.id);
  const rawId = Buffer.from(createServer.server.id, "base64").toString().split(":")[1];
  const volume = await bench.app.domain.deps.db.volume.findFirstOrThrow({ where: { serverId: rawId, index: 1 } });
  return { id: createServer.server.id, dataVolume: bench.app.domain.deps.volumes.pathOf(volume.id) };
}

export const CAPTURE_DATA_VOLUME = `mutation($input: CaptureImageTemplateInput!) {
  captureImageTemplate(input: $input) { __typename ... on CaptureImageTemplatePayload { imageTemplate { id } operation { id } } ... on Error { message } }
}`;

/** Captures the data volume (index 1) from mutation to SUCCEEDED; returns ms and the template. */
export async function timedCapture(bench: BenchApp, serverId: string, name: string) {
  const started = performance.now();
  const { captureImageTemplate: result } = await bench.gql<any>(CAPTURE_DATA_VOLUME, { input: { serverId, name, volumeIndexes: [1] } });
  if (!result.operation) throw new Error(`capture refused: ${result.message}`);
  await bench.waitFor(result.operation.id);
  const ms = performance.now() - started;
  const { node } = await bench.gql<any>(`query($id: ID!) { node(id: $id) { ... on ImageTemplate { storedBytes sizeBytes } } }`, { id: result.imageTemplate.id });
  return { ms, templateId: result.imageTemplate.id as string, storedBytes: node.storedBytes as number, sizeBytes: node.sizeBytes as number };
}

export async function deleteTemplate(bench: BenchApp, id: string): Promise<void> {
  const { deleteImageTemplate } = await bench.gql<any>(`mutation($id: ID!) { deleteImageTemplate(input: { id: $id }) { ... on DeleteImageTemplatePayload { operation { id } } } }`, { id });
  await bench.waitFor(deleteImageTemplate.operation.id);
}

/** Deploys the template from mutation to SUCCEEDED (ms), then deletes the new server (not timed). */
export async function timedDeploy(bench: BenchApp, templateId: string, hostname: string): Promise<number> {
  // As before each baseline run: the last run's writeback (and its deleted volume) not timed here.
  await timeCommand("sync");
  const started = performance.now();
  const { deployImageTemplate } = await bench.gql<any>(
    `mutation($input: DeployImageTemplateInput!) { deployImageTemplate(input: $input) { ... on DeployImageTemplatePayload { server { id } operation { id } } ... on Error { message } } }`,
    { input: { imageTemplateId: templateId, hostname, domain: "bench.example.com" } },
  );
  await bench.waitFor(deployImageTemplate.operation.id);
  const ms = performance.now() - started;
  const { deleteServer } = await bench.gql<any>(`mutation($id: ID!) { deleteServer(input: { id: $id }) { ... on DeleteServerPayload { operation { id } } } }`, { id: deployImageTemplate.server.id });
  await bench.waitFor(deleteServer.operation.id);
  return ms;
}
