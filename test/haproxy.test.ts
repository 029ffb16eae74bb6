// Two instances as child processes on one PostgreSQL database, one Redis and one data folder,
// behind Debian's HAProxy with the repository's configuration (deploy/haproxy.cfg): clients
// over HTTP, SSE and WebSocket through the proxy; a capture that runs on one instance followed
// from the other; a deploy on the other from that template; the owner of a second capture
// killed with SIGKILL in its middle, and the survivor ending it, with the invariants of the
// fault tests holding afterwards.
import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { open } from "node:fs/promises";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalVolumeDriver } from "../src/storage/volume-driver.ts";
import { removeDataDir, startTestApp, tempDataDir } from "./helpers/app.ts";
import { spawnScript, startChildServer, exited, type ChildServer } from "./helpers/child.ts";
import { GraphQLClient } from "./helpers/clients.ts";
import { CAPTURE, DEPLOY, OPERATION_PROGRESS, createActiveServer, waitForOperation } from "./helpers/documents.ts";
import { newPostgresqlDatabase } from "./helpers/database.ts";
import { checkInvariants } from "./helpers/invariants.ts";
import { SHARED_REDIS_URL } from "./helpers/redis.ts";
import { rawId } from "./helpers/store.ts";
import { until } from "./helpers/wait.ts";
import { startHaproxy } from "./helpers/haproxy.ts";
import { freePort } from "./helpers/ports.ts";

const MIB = 1024 * 1024;
const STALE_OWNER_MS = 1500;

let dataDir: string;
let env: Record<string, string>;
let sql: pg.Client;
let instances: ChildServer[] = [];
let haproxy: ChildProcess;
let proxyUrl: string;
let token: string;


beforeAll(async () => {
  dataDir = tempDataDir();
  const databaseUrl = newPostgresqlDatabase("haproxy");
  env = {
    DATABASE_URL: databaseUrl,
    REDIS_URL: SHARED_REDIS_URL,
    IMPRINT_TRUSTED_PROXIES: "127.0.0.1",
    IMPRINT_HEARTBEAT_MS: "200",
    IMPRINT_STALE_OWNER_MS: String(STALE_OWNER_MS),
    LOG_LEVEL: "info",
  };
  instances = await Promise.all([startChildServer(dataDir, env), startChildServer(dataDir, env)]);
  const port = await freePort();
  proxyUrl = `http://127.0.0.1:${port}/graphql`;
  haproxy = startHaproxy(port, instances[0].url, instances[1].url);
  // Both instances answer through the proxy (round robin: two requests in a row reach both).
  await until(async () => {
    const answers = await Promise.all([0, 1].map(() => fetch(new URL("/readyz", proxyUrl)).then((res) => res.status, () => 0)));
    return answers.every((status) => status === 200);
  }, "HAProxy and both instances", 30_000);
  const script = spawnScript("scripts/create-account.ts", ["haproxy"], { ...env, IMPRINT_DATA_DIR: dataDir });
  const { output } = await exited(script);
  token = /token \(shown once\): (\S+)/.exec(output)![1];
  sql = new pg.Client({ connectionString: databaseUrl });
  await sql.connect();
});

afterAll(async () => {
  await sql?.end();
  haproxy?.kill("SIGKILL");
  for (const instance of instances) await instance.kill("SIGKILL");
  removeDataDir(dataDir);
});

/** The instance whose runner owns the operation, once it is RUNNING and has moved `progress`. */
async function ownerOf(operationId: string, progress = 0): Promise<{ owner: ChildServer; other: ChildServer }> {
  const row = await until(async () => {
    const { rows } = await sql.query(`SELECT status, "ownerId", progress FROM "Operation" WHERE id = $1`, [operationId]);
    return rows[0]?.status === "RUNNING" && rows[0].progress >= progress ? rows[0] : null;
  }, `operation ${operationId} RUNNING past ${progress}`);
  const pid = Number(String(row.ownerId).split("/")[1]);
  const owner = instances.find((instance) => instance.process.pid === pid)!;
  expect(owner).toBeDefined();
  return { owner, other: instances.find((instance) => instance !== owner)! };
}

/** Fills the server's data volume with fresh random bytes, so its capture has chunks to write and takes a while. */
async function freshData(serverId: string, mib: number): Promise<void> {
  const { rows } = await sql.query(`SELECT id FROM "Volume" WHERE "serverId" = $1 AND index = 1`, [rawId(serverId)]);
  const file = await open(new LocalVolumeDriver(path.join(dataDir, "volumes")).pathOf(rows[0].id), "r+");
  for (let i = 0; i < mib / 4; i++) await file.write(randomBytes(4 * MIB), 0, 4 * MIB, i * 4 * MIB);
  await file.close();
}

describe("two instances behind HAProxy", () => {
  it("serve HTTP, SSE and WebSocket through the proxy, follow a capture across instances, deploy from it, and take over a killed owner's capture", async () => {
    const proxied = new GraphQLClient(proxyUrl, token);
    const source = await createActiveServer(proxied, { hostname: "lb01", os: "DEBIAN_12_64", volumes: [{ role: "BOOT", capacityGb: 2 }, { role: "DATA", capacityGb: 1 }] });
    await freshData(source.id, 192);

    // A capture, wherever it runs, followed from the other instance and through the proxy.
    const first = (await proxied.query(CAPTURE, { input: { serverId: source.id, name: "lb01-image" } })).captureImageTemplate;
    const { other } = await ownerOf(rawId(first.operation.id));
    const onOther = new GraphQLClient(other.url, token);
    const followers = [
      onOther.sseSubscribe(OPERATION_PROGRESS, { id: first.operation.id }),
      onOther.wsSubscribe(OPERATION_PROGRESS, { id: first.operation.id }),
      proxied.sseSubscribe(OPERATION_PROGRESS, { id: first.operation.id }),
      proxied.wsSubscribe(OPERATION_PROGRESS, { id: first.operation.id }),
    ];
    for (const follower of followers) {
      const events = await follower.done;
      expect(events.at(-1).operationProgress.status).toBe("SUCCEEDED");
    }
    // The other instance's followers heard the run, not only its end.
    expect((await followers[0].done).length).toBeGreaterThan(2);

    // A deploy started on the other instance, from that template.
    const deployed = (await onOther.query(DEPLOY, { input: { imageTemplateId: first.imageTemplate.id, hostname: "lb02", domain: "example.com" } })).deployImageTemplate;
    expect(deployed.__typename).toBe("DeployImageTemplatePayload");
    expect((await waitForOperation(proxied, deployed.operation.id)).status).toBe("SUCCEEDED");

    // A second capture; its owner is killed in its middle, and the survivor ends it.
    await freshData(source.id, 192);
    const second = (await proxied.query(CAPTURE, { input: { serverId: source.id, name: "lb01-image-2" } })).captureImageTemplate;
    const watched = proxied.sseSubscribe(OPERATION_PROGRESS, { id: second.operation.id });
    // The proxy's follower may be on the instance about to die: then its stream ends with a
    // network error while the survivor is still taking over, and that is no failure.
    const watchedEnded = watched.done.catch(() => undefined);
    const killed = await ownerOf(rawId(second.operation.id), 0.05);
    await killed.owner.kill("SIGKILL");
    instances = instances.filter((instance) => instance !== killed.owner);
    const ended = await until(async () => {
      const { rows } = await sql.query(`SELECT status, "errorCode", "ownerId", claim FROM "Operation" WHERE id = $1`, [rawId(second.operation.id)]);
      return rows[0].status === "FAILED" ? rows[0] : null;
    }, "the survivor ending the killed owner's capture", STALE_OWNER_MS + 20_000);
    expect(ended).toMatchObject({ errorCode: "INTERRUPTED", claim: 2 });
    expect(Number(String(ended.ownerId).split("/")[1])).toBe(killed.other.process.pid);
    // The proxy's follower ends either way: it hears the end, or its instance died under it.
    await watchedEnded;
    const after = (await proxied.query(`query($id: ID!) { node(id: $id) { ... on Server { status powerState activeOperation { id } } } }`, { id: source.id })).node;
    expect(after).toEqual({ status: "ACTIVE", powerState: "RUNNING", activeOperation: null });

    // The survivor's request log names the client the proxy was told of.
    await fetch(proxyUrl, { method: "POST", headers: { "content-type": "application/json", "x-forwarded-for": "203.0.113.7", "x-request-id": "haproxy-client-address", authorization: `Bearer ${token}` }, body: JSON.stringify({ query: "{ servers { totalCount } }" }) });
    await killed.other.waitForOutput(/"requestId":"haproxy-client-address"[^\n]*"client":"203\.0\.113\.7"/);

    // The invariants of the fault tests, read by an instance on the same data.
    const checker = await startTestApp({ dataDir, env: { DATABASE_URL: env.DATABASE_URL, REDIS_URL: SHARED_REDIS_URL } });
    try {
      expect(await checkInvariants(checker.app, dataDir, checker.url)).toEqual([]);
    } finally {
      await checker.stop({ keepData: true });
    }
  });
});
