// The limits a transaction checks before it writes, under requests that arrive together at two
// instances on one database: each allows exactly what it says, on SQLite (one writer at a time)
// and on PostgreSQL (where, under READ COMMITTED, two transactions could both see room:
// kernel/transaction.ts runs them SERIALIZABLE and again after a serialization failure).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, tempDataDir, removeDataDir, type TestApp } from "./helpers/app.ts";
import { GraphQLClient } from "./helpers/clients.ts";
import { CAPTURE, CREATE_SERVER, createActiveServer, serverInput, waitForOperation } from "./helpers/documents.ts";
import { rawId } from "./helpers/store.ts";

const AT_ONCE = 10;

let dataDir: string;
let a: TestApp;
let b: TestApp;

/** Instances A and B on one database, with these quotas, for the tests of one describe block. */
function twoInstances(env: Record<string, string>): void {
  beforeAll(async () => {
    dataDir = tempDataDir();
    a = await startTestApp({ dataDir, env });
    b = await startTestApp({ dataDir, env });
    // B only takes requests: A runs every operation, so its subscribers see them all (events
    // between instances are the event bus's, not what these tests are about).
    await b.app.domain.runner.stop();
  });
  afterAll(async () => {
    await a.stop({ keepData: true });
    await b.stop({ keepData: true });
    removeDataDir(dataDir);
  });
}

/** One account's clients, on instance A and on instance B. */
async function accountOnBoth(): Promise<[GraphQLClient, GraphQLClient]> {
  const onA = await a.newAccount();
  return [onA, new GraphQLClient(b.url, onA.token)];
}

/** Sends the same mutation AT_ONCE times at once, alternating between the two instances. */
function together<T>(clients: [GraphQLClient, GraphQLClient], send: (client: GraphQLClient, i: number) => Promise<T>): Promise<T[]> {
  return Promise.all(Array.from({ length: AT_ONCE }, (_, i) => send(clients[i % 2], i)));
}

const typenames = (results: Array<{ __typename: string }>) => results.map((result) => result.__typename).sort();

describe("requests at the same moment at two instances", () => {
  twoInstances({ IMPRINT_QUOTA_SERVERS: "4" });

  it("make exactly as many servers as the servers quota allows, each with addresses of its own", async () => {
    const clients = await accountOnBoth();
    const CREATE = CREATE_SERVER.replace("__typename", "__typename ... on QuotaExceededError { quota limit }");
    const results = await together(clients, async (client, i) => (await client.query(CREATE, { input: serverInput({ hostname: `q${i}` }) })).createServer);
    expect(typenames(results)).toEqual([...Array(4).fill("CreateServerPayload"), ...Array(AT_ONCE - 4).fill("QuotaExceededError")]);
    const made = results.filter((result) => result.__typename === "CreateServerPayload");
    expect(new Set(made.map((result) => result.server.network.privateIpv4)).size).toBe(4);
    expect((await clients[1].query(`{ servers { totalCount } }`)).servers.totalCount).toBe(4);
    for (const result of made) expect((await waitForOperation(clients[0], result.operation.id)).status).toBe("SUCCEEDED");
  });

  it("make one server of a name, and answer the others that it is taken", async () => {
    const clients = await accountOnBoth();
    const results = await together(clients, async (client) => (await client.query(CREATE_SERVER, { input: serverInput({ hostname: "same01" }) })).createServer);
    expect(typenames(results)).toEqual(["CreateServerPayload", ...Array(AT_ONCE - 1).fill("ValidationError")]);
    for (const refused of results.filter((result) => result.__typename === "ValidationError")) expect(refused.fields).toEqual([{ field: "hostname", message: expect.stringMatching(/same01\.example\.com/) }]);
    expect((await clients[1].query(`{ servers { totalCount } }`)).servers.totalCount).toBe(1);
    const made = results.find((result) => result.__typename === "CreateServerPayload");
    await waitForOperation(clients[0], made.operation.id);
  });

  it("queue one operation on a server, and answer the others with the server's state", async () => {
    const clients = await accountOnBoth();
    const server = await createActiveServer(clients[0], { hostname: "busy01" });
    const POWER_OFF = `mutation($id: ID!) { powerOffServer(input: { id: $id }) { __typename ... on PowerOffServerPayload { operation { id } } ... on ConflictError { state } } }`;
    const results = await together(clients, async (client) => (await client.query(POWER_OFF, { id: server.id })).powerOffServer);
    const queued = results.filter((result) => result.__typename === "PowerOffServerPayload");
    expect(queued).toHaveLength(1);
    expect(results.filter((result) => result.__typename === "ConflictError")).toHaveLength(AT_ONCE - 1);
    expect(await a.app.domain.deps.db.operation.count({ where: { serverId: rawId(server.id), kind: "POWER_OFF" } })).toBe(1);
    await waitForOperation(clients[0], queued[0].operation.id);
  });

  it("capture once for one idempotency key, and answer every request with that capture", async () => {
    const clients = await accountOnBoth();
    const server = await createActiveServer(clients[0], { hostname: "keyed01" });
    const results = await together(clients, async (client) =>
      (await client.query(CAPTURE, { input: { serverId: server.id, name: "keyed01-image", idempotencyKey: "capture-keyed01" } })).captureImageTemplate,
    );
    expect(new Set(results.map((result) => result.__typename))).toEqual(new Set(["CaptureImageTemplatePayload"]));
    expect(new Set(results.map((result) => result.operation.id)).size).toBe(1);
    expect(await a.app.domain.deps.db.imageTemplate.count({ where: { name: "keyed01-image" } })).toBe(1);
    expect((await waitForOperation(clients[0], results[0].operation.id)).status).toBe("SUCCEEDED");
  });
});

describe("operations queued at the same moment at two instances", () => {
  twoInstances({ IMPRINT_QUOTA_CONCURRENT_OPERATIONS: "3" });

  it("queue no more operations than the concurrent-operations quota allows", async () => {
    const clients = await accountOnBoth();
    const servers: Array<{ id: string }> = [];
    for (let i = 0; i < 4; i++) servers.push(await createActiveServer(clients[0], { hostname: `ops${i}` }));
    await a.app.domain.runner.stop();
    try {
      const POWER_OFF = `mutation($id: ID!) { powerOffServer(input: { id: $id }) { __typename ... on PowerOffServerPayload { operation { id } } ... on QuotaExceededError { quota } ... on ConflictError { state } } }`;
      // Every server asked at once, from both instances: three are queued, the rest refused.
      const results = await together(clients, async (client, i) => (await client.query(POWER_OFF, { id: servers[i % 4].id })).powerOffServer);
      expect(results.filter((result) => result.__typename === "PowerOffServerPayload")).toHaveLength(3);
      expect((await clients[1].query(`{ operations(filter: { status: [QUEUED] }) { totalCount } }`)).operations.totalCount).toBe(3);
    } finally {
      await a.app.domain.runner.start();
    }
  });
});
