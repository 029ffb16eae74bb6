// A rolling restart: SIGTERM drains instance A. /readyz says so (the load balancer sends no new
// requests), A claims no more work, lets the operation it runs finish, then tells its open
// subscriptions to subscribe again (RESUBSCRIBE) before it exits 0; a client that does follows
// the same operation to its end on instance B.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { removeDataDir, startTestApp, tempDataDir, type TestApp } from "./helpers/app.ts";
import { startChildServer, type ChildServer } from "./helpers/child.ts";
import { GraphQLClient } from "./helpers/clients.ts";
import { CAPTURE, OPERATION_PROGRESS, waitForOperation } from "./helpers/documents.ts";
import { serverWithData } from "./helpers/fault-fixtures.ts";
import { FaultyImageStore, Gate } from "./helpers/faults.ts";
import { newPostgresqlDatabase } from "./helpers/database.ts";
import { SHARED_REDIS_URL } from "./helpers/redis.ts";
import { rawId } from "./helpers/store.ts";
import { until } from "./helpers/wait.ts";

const SHARED = { REDIS_URL: SHARED_REDIS_URL, IMPRINT_HEARTBEAT_MS: "200" };

let dataDir: string;
let b: TestApp;
let a: ChildServer | undefined;
const gate = new Gate();

afterAll(async () => {
  gate.release();
  await a?.kill("SIGKILL");
  await b?.stop({ keepData: true });
  removeDataDir(dataDir);
});

describe("SIGTERM", () => {
  it("drains: no new work, the running operation finishes, subscribers are told to resubscribe, and follow it to its end elsewhere", async () => {
    dataDir = tempDataDir();
    // Several instances run on PostgreSQL (on one SQLite file, B's capture paused in the middle
    // of its chunk rows would keep A from writing).
    const shared = { ...SHARED, DATABASE_URL: newPostgresqlDatabase("drain") };
    // B runs one operation at a time, and its capture waits at the gate.
    b = await startTestApp({ dataDir, env: { ...shared, IMPRINT_MAX_CONCURRENT_OPERATIONS: "1" }, ports: { store: new FaultyImageStore(path.join(dataDir, "store"), { pauseAtPut: { nth: 2, gate } }) } });
    const onB = b.client;
    const [first, second, third] = [await serverWithData(b, onB, "drain01", 16), await serverWithData(b, onB, "drain02", 16), await serverWithData(b, onB, "drain03", 16)];
    const onBs = (await onB.query(CAPTURE, { input: { serverId: first.id, name: "drain01-image" } })).captureImageTemplate;
    await gate.reached;

    // A starts once B is busy, and takes the next capture; it stops at a chunk write until told.
    const resume = path.join(dataDir, "resume");
    a = await startChildServer(dataDir, { ...shared, IMPRINT_SHUTDOWN_TIMEOUT_MS: "30000", IMPRINT_TEST_FAULTS: JSON.stringify({ pauseAtPut: 1, resumeWhenFile: resume }) }, "test/helpers/fault-server.ts");
    const onA = new GraphQLClient(a.url, onB.token);
    const onAs = (await onA.query(CAPTURE, { input: { serverId: second.id, name: "drain02-image" } })).captureImageTemplate;
    await a.waitForOutput(/fault: paused at chunk write 1/);
    const follower = onA.sseSubscribe(OPERATION_PROGRESS, { id: onBs.operation.id });
    await until(async () => follower.events.length > 0, "A's follower of B's capture");

    a.process.kill("SIGTERM");
    const readiness = await until(async () => {
      const res = await fetch(new URL("/readyz", a!.url));
      return res.status === 503 ? ((await res.json()) as { checks: Record<string, string> }) : null;
    }, "A not ready while it drains");
    expect(readiness.checks.accepting).toBe("draining: this instance is shutting down");
    // Work queued now is not A's to claim (B takes it once it is free).
    const power = (await onA.query(`mutation($id: ID!) { powerOffServer(input: { id: $id }) { ... on PowerOffServerPayload { operation { id } } } }`, { id: third.id })).powerOffServer;

    writeFileSync(resume, "");
    // A's capture ends by itself; then A tells its subscribers and exits.
    const followed = await follower.done.then(
      () => "completed",
      (error: Error) => error.message,
    );
    expect(followed).toMatch(/this server is shutting down; subscribe again/);
    expect(followed).toMatch(/RESUBSCRIBE/);
    const exitCode = a.process.exitCode ?? (await new Promise<number | null>((resolve) => a!.process.once("exit", resolve)));
    expect(exitCode).toBe(0);

    const db = b.app.domain.deps.db;
    expect(await db.operation.findUnique({ where: { id: rawId(onAs.operation.id) } })).toMatchObject({ status: "SUCCEEDED" });

    // The follower subscribes again, reaches B, and follows B's capture to its end.
    const again = onB.sseSubscribe(OPERATION_PROGRESS, { id: onBs.operation.id });
    await until(async () => again.events.length > 0, "the resubscribed follower");
    gate.release();
    expect((await again.done).at(-1).operationProgress.status).toBe("SUCCEEDED");
    const powered = await waitForOperation(onB, power.operation.id);
    expect(powered.status).toBe("SUCCEEDED");
    expect((await db.operation.findUnique({ where: { id: rawId(power.operation.id) } }))?.ownerId).toBe(b.app.domain.runner.ownerId);
  });
});
