// Two instances on one database and one Redis (REDIS_URL): what one does, the other's clients
// see. Operation events, a token's revocation and the per-token request budget are shared; a
// Redis that restarts in the middle of an operation leaves no follower hanging or wrong.
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { removeDataDir, startTestApp, tempDataDir, type TestApp } from "./helpers/app.ts";
import { GraphQLClient } from "./helpers/clients.ts";
import { CAPTURE, OPERATION_PROGRESS, createActiveServer } from "./helpers/documents.ts";
import { Gate, FaultyImageStore } from "./helpers/faults.ts";
import { ownRedis, SHARED_REDIS_URL, type OwnRedis } from "./helpers/redis.ts";
import { serverWithData } from "./helpers/fault-fixtures.ts";
import { rawId } from "./helpers/store.ts";
import { until } from "./helpers/wait.ts";

interface Pair {
  dataDir: string;
  a: TestApp;
  b: TestApp;
  stop(): Promise<void>;
}

/** Instances A and B on one data folder and database, sharing a Redis; A's store may pause. */
async function twoInstances(redisUrl: string, env: Record<string, string> = {}, store?: (dataDir: string) => FaultyImageStore): Promise<Pair> {
  const dataDir = tempDataDir();
  const shared = { REDIS_URL: redisUrl, ...env };
  const a = await startTestApp({ dataDir, env: shared, ports: store ? { store: store(dataDir) } : {} });
  const b = await startTestApp({ dataDir, env: shared });
  return {
    dataDir,
    a,
    b,
    async stop() {
      await a.stop({ keepData: true });
      await b.stop({ keepData: true });
      removeDataDir(dataDir);
    },
  };
}

const STATUSES = (events: Array<{ operationProgress: { status: string } }>) => [...new Set(events.map((event) => event.operationProgress.status))];

describe("two instances sharing Redis", () => {
  let pair: Pair;
  let gate: Gate;
  beforeAll(async () => {
    gate = new Gate();
    pair = await twoInstances(SHARED_REDIS_URL, { IMPRINT_RATE_LIMIT_PER_MINUTE: "1000000" }, (dataDir) => new FaultyImageStore(path.join(dataDir, "store"), { pauseAtPut: { nth: 2, gate } }));
    // A runs every operation (B's runner is stopped): B's followers can only hear them through Redis.
    await pair.b.app.domain.runner.stop();
  });
  afterAll(async () => {
    gate.release();
    await pair.stop();
  });

  it("let a subscriber on B follow a capture that runs on A, over SSE and WebSocket, to its end", async () => {
    const onA = await pair.a.newAccount();
    const onB = new GraphQLClient(pair.b.url, onA.token);
    const server = await serverWithData(pair.a, onA, "redis01", 16);
    const started = (await onA.query(CAPTURE, { input: { serverId: server.id, name: "redis01-image" } })).captureImageTemplate;
    await gate.reached;
    const sse = onB.sseSubscribe(OPERATION_PROGRESS, { id: started.operation.id });
    const ws = onB.wsSubscribe(OPERATION_PROGRESS, { id: started.operation.id });
    await until(async () => sse.events.length > 0 && ws.events.length > 0, "the first event on B");
    gate.release();
    for (const events of [await sse.done, await ws.done]) {
      expect(STATUSES(events)).toEqual(["RUNNING", "SUCCEEDED"]);
      expect(events.length).toBeGreaterThan(2); // progress while it ran, not only the final read
    }
  });

  it("end a revoked token's subscriptions on B and refuse it there at once when A revokes it", async () => {
    const admin = await pair.a.newAccount();
    const server = await createActiveServer(admin, { hostname: "revoke01" });
    const { createApiToken } = (await admin.query(`mutation { createApiToken(input: { name: "short-lived", role: VIEWER }) { ... on CreateApiTokenPayload { secret apiToken { id } } } }`)) as any;
    const onB = new GraphQLClient(pair.b.url, createApiToken.secret);
    expect((await onB.raw(`{ servers { totalCount } }`)).status).toBe(200);
    // The console's backlog line arrives at once: then the subscription on B is known to be open.
    let up!: () => void;
    const open = new Promise<void>((resolve) => (up = resolve));
    const ended = onB.wsSubscribe(`subscription($id: ID!) { serverConsole(id: $id, lastLines: 1) }`, { id: server.id }, () => up()).done.then(
      () => "completed",
      (error: Error) => error.message,
    );
    await open;
    await admin.query(`mutation($id: ID!) { revokeApiToken(input: { id: $id }) { __typename } }`, { id: createApiToken.apiToken.id });
    expect(await ended).toMatch(/subscription ended: the token was revoked/);
    expect((await onB.raw(`{ servers { totalCount } }`)).status).toBe(401);
  });

  it("count one request budget per token over both instances", async () => {
    const limited = await twoInstances(SHARED_REDIS_URL, { IMPRINT_RATE_LIMIT_PER_MINUTE: "6" });
    try {
      const onA = await limited.a.newAccount();
      const onB = new GraphQLClient(limited.b.url, onA.token);
      const statuses: number[] = [];
      for (let i = 0; i < 8; i++) statuses.push((await (i % 2 ? onB : onA).raw(`{ servers { totalCount } }`)).status);
      expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 429, 429]);
    } finally {
      await limited.stop();
    }
  });
});

describe("a Redis that restarts in the middle of an operation", () => {
  let redis: OwnRedis;
  let pair: Pair;
  let gate: Gate;
  beforeAll(async () => {
    redis = await ownRedis();
    gate = new Gate();
    pair = await twoInstances(redis.url, {}, (dataDir) => new FaultyImageStore(path.join(dataDir, "store"), { pauseAtPut: { nth: 2, gate } }));
    await pair.b.app.domain.runner.stop();
  });
  afterAll(async () => {
    gate.release();
    await pair.stop();
    await redis.stop();
  });

  it("leaves B's follower ending with the operation's true end, /readyz saying so meanwhile, and new subscriptions refused until it is back", async () => {
    const onA = await pair.a.newAccount();
    const onB = new GraphQLClient(pair.b.url, onA.token);
    const server = await serverWithData(pair.a, onA, "restart01", 16);
    const started = (await onA.query(CAPTURE, { input: { serverId: server.id, name: "restart01-image" } })).captureImageTemplate;
    await gate.reached;
    const follower = onB.sseSubscribe(OPERATION_PROGRESS, { id: started.operation.id });
    await until(async () => follower.events.length > 0, "the follower's first event");

    await redis.stop();
    // The capture ends while Redis is away: its terminal event reaches nobody.
    gate.release();
    const id = rawId(started.operation.id);
    await until(async () => (await pair.a.app.domain.deps.db.operation.findUnique({ where: { id } }))?.status === "SUCCEEDED", "the capture's end");
    const ready = await fetch(new URL("/readyz", pair.b.url));
    expect(ready.status).toBe(503);
    expect((await ready.json()).checks.redis).toMatch(/Redis at redis:\/\/127\.0\.0\.1:\d+ is unreachable/);
    // A subscription of its own (the same document and operation would join the follower's source).
    const refused = onB.sseSubscribe(`subscription { operationEvents { id } }`);
    await expect(refused.done).rejects.toThrow(/UNAVAILABLE|cannot be followed now/);

    await redis.start();
    const events = await follower.done;
    expect(events.at(-1).operationProgress.status).toBe("SUCCEEDED");
    await until(async () => (await fetch(new URL("/readyz", pair.b.url))).status === 200, "B ready again");
  });
});
