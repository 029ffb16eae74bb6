// With QEMU each instance is a compute host. Two instances, host-a and host-b, share the
// database and the data folder: a new server is placed on a host, the API shows which, and only
// that host runs the server's operations, whichever instance the request reached. While host-b
// is gone, work queued for its server ends with HOST_UNAVAILABLE (no hang) and new requests are
// refused with a HostUnavailableError naming it; once it is back, its server works again.
// With the simulated hypervisor servers have no host (any instance runs them).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { removeDataDir, startTestApp, type TestApp } from "./helpers/app.ts";
import { GraphQLClient } from "./helpers/clients.ts";
import { newPostgresqlDatabase } from "./helpers/database.ts";
import { SHARED_REDIS_URL } from "./helpers/redis.ts";
import { CAPTURE, createActiveServer, createServer, ERROR_FIELDS, waitForOperation } from "./helpers/documents.ts";
import { buildGuest, killMachines, qemuUnavailable } from "./helpers/qemu.ts";
import { rawId } from "./helpers/store.ts";
import { until } from "./helpers/wait.ts";

const unavailable = qemuUnavailable();
const HOST_ERROR = `... on HostUnavailableError { host lastSeenAt }`;
const POWER_ON = `mutation($id: ID!) { powerOnServer(input: { id: $id }) { ... on PowerOnServerPayload { operation { id status } } ${ERROR_FIELDS} ${HOST_ERROR} } }`;
const POWER_OFF = `mutation($id: ID!) { powerOffServer(input: { id: $id }) { ... on PowerOffServerPayload { operation { id status } } ${ERROR_FIELDS} ${HOST_ERROR} } }`;
const CAPTURE_WITH_HOST = CAPTURE.replace("__typename", `__typename ${HOST_ERROR}`);
const SERVER = `query($id: ID!) { node(id: $id) { ... on Server { host status powerState activeOperation { id } } } }`;
const guest = { os: "IMPRINT_GUEST", cpu: 1, memoryMb: 1024, volumes: [{ role: "BOOT", capacityGb: 1 }] };
const TIMING = { IMPRINT_HEARTBEAT_MS: "200", IMPRINT_STALE_OWNER_MS: "1500", IMPRINT_SHUTDOWN_GUEST_TIMEOUT_MS: "5000", IMPRINT_QEMU_POWER_BUTTON_RETRY_MS: "1000" };

describe.skipIf(unavailable !== null)(`compute hosts under QEMU${unavailable ? ` (skipped: ${unavailable})` : ""}`, () => {
  let work: string;
  let dataDir: string;
  let env: Record<string, string>;
  let a: TestApp;
  let b: TestApp | undefined;

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), "imprint-hosts-"));
    const guestImage = path.join(work, "imprint-guest.img");
    await buildGuest(guestImage);
    dataDir = path.join(work, "data");
    // Several instances run on PostgreSQL, whatever database the rest of the suite uses, and hear each other's events through Redis.
    env = { ...TIMING, IMPRINT_HYPERVISOR: "qemu", IMPRINT_GUEST_IMAGE: guestImage, DATABASE_URL: newPostgresqlDatabase("hosts"), REDIS_URL: SHARED_REDIS_URL };
    a = await startTestApp({ dataDir, env: { ...env, IMPRINT_COMPUTE_HOST: "host-a" } });
    b = await startTestApp({ dataDir, env: { ...env, IMPRINT_COMPUTE_HOST: "host-b" } });
  }, 60_000);

  afterAll(async () => {
    await b?.stop({ keepData: true });
    await a?.stop({ keepData: true });
    if (dataDir) killMachines(dataDir);
    if (dataDir) removeDataDir(dataDir);
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** The instance whose runner ran (or ended) an operation. */
  async function ownerOf(operationId: string): Promise<string | null> {
    const row = await a.app.domain.deps.db.operation.findUniqueOrThrow({ where: { id: rawId(operationId) } });
    return row.ownerId;
  }

  it("places servers on the hosts, runs each server's operations on its host only, and answers HOST_UNAVAILABLE while a host is gone", async () => {
    const onA = a.client;
    const onB = new GraphQLClient(b!.url, onA.token);

    // 1. Two servers ordered through A: the first on A (a tie goes to the instance asked), the second on B, the host with fewer servers.
    const first = await createServer(onA, { ...guest, hostname: "hosted01" });
    const second = await createServer(onA, { ...guest, hostname: "hosted02" });
    expect((await onA.query(SERVER, { id: first.server.id })).node.host).toBe("host-a");
    expect((await onA.query(SERVER, { id: second.server.id })).node.host).toBe("host-b");
    expect(await waitForOperation(onA, first.operation.id)).toMatchObject({ status: "SUCCEEDED" });
    expect(await waitForOperation(onA, second.operation.id)).toMatchObject({ status: "SUCCEEDED" });
    expect(await ownerOf(first.operation.id)).toBe(a.app.domain.runner.ownerId);
    expect(await ownerOf(second.operation.id)).toBe(b!.app.domain.runner.ownerId);

    // 2. Each server's power-off runs on its own host, whichever instance was asked.
    const offSecond = (await onA.query(POWER_OFF, { id: second.server.id })).powerOffServer;
    const offFirst = (await onB.query(POWER_OFF, { id: first.server.id })).powerOffServer;
    expect(await waitForOperation(onA, offSecond.operation.id)).toMatchObject({ status: "SUCCEEDED" });
    expect(await waitForOperation(onA, offFirst.operation.id)).toMatchObject({ status: "SUCCEEDED" });
    expect(await ownerOf(offSecond.operation.id)).toBe(b!.app.domain.runner.ownerId);
    expect(await ownerOf(offFirst.operation.id)).toBe(a.app.domain.runner.ownerId);

    // 3. B stops taking work but still beats: a power-on of its server waits QUEUED (A may not take it).
    await b!.app.domain.runner.drain(0);
    const waiting = (await onA.query(POWER_ON, { id: second.server.id })).powerOnServer;
    expect(waiting.operation.status).toBe("QUEUED");

    // 4. B goes away. Once it is stale, A ends the queued operation instead of leaving it to hang, and leaves the server as it was.
    const lastBeat = (await a.app.domain.deps.db.computeHost.findUniqueOrThrow({ where: { name: "host-b" } })).heartbeatAt;
    await b!.stop({ keepData: true });
    b = undefined;
    const ended = await waitForOperation(onA, waiting.operation.id);
    expect(ended).toMatchObject({ status: "FAILED", error: { code: "HOST_UNAVAILABLE" } });
    expect(ended.error.message).toMatch(/compute host host-b .* unavailable/);
    expect(await ownerOf(waiting.operation.id)).toBe(a.app.domain.runner.ownerId);
    expect((await onA.query(SERVER, { id: second.server.id })).node).toEqual({ host: "host-b", status: "ACTIVE", powerState: "HALTED", activeOperation: null });

    // 5. New requests for its machine are refused at once, naming the host and when it was last seen.
    const refused = (await onA.query(POWER_ON, { id: second.server.id })).powerOnServer;
    expect(refused).toMatchObject({ __typename: "HostUnavailableError", code: "HOST_UNAVAILABLE", host: "host-b" });
    expect(new Date(refused.lastSeenAt).getTime()).toBeGreaterThanOrEqual(lastBeat.getTime());
    const capture = (await onA.query(CAPTURE_WITH_HOST, { input: { serverId: second.server.id, name: "hosted02-image" } })).captureImageTemplate;
    expect(capture).toMatchObject({ __typename: "HostUnavailableError", host: "host-b" });
    expect(await a.app.domain.deps.db.imageTemplate.count({ where: { name: "hosted02-image" } })).toBe(0);
    // A's own server is not affected.
    const onFirst = (await onA.query(POWER_ON, { id: first.server.id })).powerOnServer;
    expect(await waitForOperation(onA, onFirst.operation.id)).toMatchObject({ status: "SUCCEEDED" });

    // 6. host-b is back (a new instance with its name): its server works again, on it.
    b = await startTestApp({ dataDir, env: { ...env, IMPRINT_COMPUTE_HOST: "host-b" } });
    const back = (await onA.query(POWER_ON, { id: second.server.id })).powerOnServer;
    expect(back.operation).toBeDefined();
    expect(await waitForOperation(onA, back.operation.id)).toMatchObject({ status: "SUCCEEDED" });
    expect(await ownerOf(back.operation.id)).toBe(b.app.domain.runner.ownerId);
    expect((await onA.query(SERVER, { id: second.server.id })).node).toMatchObject({ host: "host-b", status: "ACTIVE", powerState: "RUNNING" });
    await until(async () => (await a.app.domain.deps.hypervisor.state(rawId(second.server.id))) === "RUNNING", "host-b's machine running");
  }, 240_000);
});

describe("compute hosts with the simulated hypervisor", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t?.stop();
  });

  it("leaves servers on no host: any instance runs their machines from the shared data folder", async () => {
    const server = await createActiveServer(t.client);
    expect((await t.client.query(SERVER, { id: server.id })).node).toMatchObject({ host: null, status: "ACTIVE" });
    expect(await t.app.domain.deps.db.computeHost.count()).toBe(0);
  });
});
