// S3 for the tests: a one-node Swift with its s3api (scripts/swift-s3.sh), started once per run
// by the global setup on free ports in a folder of its own, or the one TEST_S3_ENDPOINT names.
// Each test makes buckets of its own.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { randomBytes } from "node:crypto";
import { onPath } from "./tools.ts";

const run = promisify(execFile);
const SCRIPT = path.join(import.meta.dirname, "../../scripts/swift-s3.sh");

/** Why Swift cannot run here (the Debian packages .ci/run installs), or null. */
export function swiftUnavailable(): string | null {
  const missing = ["swift-proxy-server", "swift-account-server", "swift-container-server", "swift-object-server", "swift-ring-builder", "memcached", "curl"].filter((tool) => !onPath(tool));
  return missing.length ? `not installed: ${missing.join(", ")} (apt-get install swift swift-proxy swift-account swift-container swift-object memcached curl)` : null;
}

async function portFree(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/** Starts Swift on five consecutive free ports; `stop` ends it and removes its folder. */
export async function startSwift(): Promise<{ endpoint: string; stop(): Promise<void> }> {
  const dir = mkdtempSync(path.join(tmpdir(), "imprint-swift-"));
  for (let attempt = 0; attempt < 20; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 40_000);
    const ports = [0, 1, 2, 3, 4].map((offset) => base + offset);
    if (!(await Promise.all(ports.map(portFree))).every(Boolean)) continue;
    await run("bash", [SCRIPT, "start", dir, String(base)]);
    return {
      endpoint: `http://127.0.0.1:${base}`,
      async stop() {
        await run("bash", [SCRIPT, "stop", dir]).catch(() => undefined);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  throw new Error("no five consecutive free ports for Swift");
}

/** The endpoint of this run's Swift, or null when there is none (the S3 tests are then skipped). */
export const s3Endpoint: string | null = process.env.TEST_S3_ENDPOINT ?? null;

/** The SDK environment for this run's Swift (its tempauth user), pointing at `endpoint`. */
export function s3Env(endpoint = s3Endpoint!): Record<string, string> {
  return { AWS_ENDPOINT_URL_S3: endpoint, AWS_REGION: "us-east-1", AWS_ACCESS_KEY_ID: "test:tester", AWS_SECRET_ACCESS_KEY: "testing" };
}

/** The S3 store's connection to this run's Swift (or to `endpoint`, a hop in front of it). */
export function s3Options(endpoint = s3Endpoint!) {
  return { endpoint, region: "us-east-1", credentials: { accessKeyId: "test:tester", secretAccessKey: "testing" } };
}

/** A location in a new bucket of its own. */
export function newS3Location(label: string): string {
  return `s3://imprint-${label}-${randomBytes(4).toString("hex")}/chunks`;
}
