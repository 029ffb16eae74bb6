// Authentication and tenancy: no token, a wrong token, and another account's IDs.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "./helpers/app.ts";
import { GraphQLClient, wsClient } from "./helpers/clients.ts";
import { createActiveServer, OPERATION_PROGRESS } from "./helpers/documents.ts";
import { firstMatch } from "./helpers/wait.ts";

let t: TestApp;
let server: { id: string };
let operationId: string;

beforeAll(async () => {
  t = await startTestApp();
  server = await createActiveServer(t.client, { hostname: "private01" });
  const { servers } = await t.client.query(`{ servers(first: 1) { edges { node { latestOperation { id } } } } }`);
  operationId = servers.edges[0].node.latestOperation.id;
});
afterAll(async () => {
  await t.stop();
});

describe("authentication", () => {
  for (const [name, token] of [
    ["no token", null],
    ["a wrong token", "imp_not-a-real-token"],
  ] as const) {
    it(`answers ${name} with 401, an UNAUTHENTICATED error and no data`, async () => {
      const client = new GraphQLClient(t.url, token);
      const { status, body } = await client.raw(`{ servers { totalCount } viewer { name } }`);
      expect(status).toBe(401);
      expect(body.data ?? null).toBeNull();
      expect(body.errors?.[0].extensions?.code).toBe("UNAUTHENTICATED");
    });
  }

  it("records when a token was last used (to the minute)", async () => {
    const { token } = await t.app.domain.accounts.create("used-once");
    const db = t.app.domain.deps.db;
    const row = async () => db.apiToken.findFirstOrThrow({ where: { account: { name: "used-once" } } });
    expect((await row()).lastUsedAt).toBeNull();
    const before = Date.now();
    await new GraphQLClient(t.url, token).query(`{ viewer { name } }`);
    const used = (await row()).lastUsedAt;
    expect(used?.getTime()).toBeGreaterThanOrEqual(before - 1000);
  });

  it("keeps a recently used token for a few seconds, and drops it when the bus says another instance revoked it", async () => {
    const { token } = await t.app.domain.accounts.create("revoked-elsewhere");
    const client = new GraphQLClient(t.url, token);
    const db = t.app.domain.deps.db;
    expect((await client.raw(`{ viewer { name } }`)).status).toBe(200);
    // Another instance revokes it: its row changes at once, its event reaches this one after.
    const { id } = await db.apiToken.findFirstOrThrow({ where: { account: { name: "revoked-elsewhere" } } });
    await db.apiToken.update({ where: { id }, data: { revokedAt: new Date() } });
    expect((await client.raw(`{ viewer { name } }`)).status).toBe(200); // still the recent copy
    t.app.domain.deps.events.publishTokenRevoked(id);
    expect((await client.raw(`{ viewer { name } }`)).status).toBe(401);
  });

  it("refuses an SSE subscription without a valid token", async () => {
    const client = new GraphQLClient(t.url, "imp_wrong");
    await expect(client.sseSubscribe(OPERATION_PROGRESS, { id: operationId }).done).rejects.toThrow();
  });

  it("closes a WebSocket with 4403 for a wrong token", async () => {
    let closeCode = 0;
    const ws = wsClient(t.url, "imp_wrong", { onClose: (code) => (closeCode = code) });
    await expect(
      new Promise((resolve, reject) => ws.subscribe({ query: `{ viewer { name } }` }, { next: resolve, error: reject, complete: () => resolve(null) })),
    ).rejects.toBeTruthy();
    expect(closeCode).toBe(4403);
    await ws.dispose();
  });

  it("accepts the token in the WebSocket upgrade request's Authorization header too", async () => {
    const { createClient } = await import("graphql-ws");
    const WebSocket = (await import("ws")).default;
    const token = t.client.token!;
    class AuthorizedSocket extends WebSocket {
      constructor(address: string, protocols?: string | string[]) {
        super(address, protocols, { headers: { authorization: `Bearer ${token}` } });
      }
    }
    const client = createClient({ url: t.url.replace("http", "ws"), webSocketImpl: AuthorizedSocket, retryAttempts: 0 });
    const result = await new Promise<any>((resolve, reject) =>
      client.subscribe({ query: `{ viewer { name } }` }, { next: resolve, error: reject, complete: () => undefined }),
    );
    expect(result.data.viewer.name).toBe("main");
    await client.dispose();
  });
});

describe("tenancy: another account's IDs behave as if they did not exist", () => {
  it("through node, nodes and lists", async () => {
    const stranger = await t.newAccount();
    const data = await stranger.query(`query($ids: [ID!]!, $id: ID!) { node(id: $id) { id } nodes(ids: $ids) { id } servers { totalCount } operations { totalCount } }`, {
      id: server.id,
      ids: [server.id, operationId],
    });
    expect(data).toEqual({ node: null, nodes: [null, null], servers: { totalCount: 0 }, operations: { totalCount: 0 } });
    // The owner sees both.
    const own = await t.client.query(`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, { ids: [server.id, operationId] });
    expect(own.nodes.map((n: any) => n?.id)).toEqual([server.id, operationId]);
  });

  it("through subscriptions, over SSE and WebSocket", async () => {
    const stranger = await t.newAccount();
    await expect(stranger.sseSubscribe(OPERATION_PROGRESS, { id: operationId }).done).rejects.toThrow(/not found/);
    await expect(stranger.wsSubscribe(OPERATION_PROGRESS, { id: operationId }).done).rejects.toThrow(/not found/);
  });

  it("through the operation feed: a stranger sees none of this account's changes", async () => {
    const stranger = await t.newAccount();
    const seen: any[] = [];
    const strangerSucceeded = (hostname: string) => firstMatch<any>((e) => e.operationEvents.status === "SUCCEEDED" && e.operationEvents.server?.hostname === hostname, `${hostname} in the stranger's feed`);
    const marker1 = strangerSucceeded("marker1");
    const marker2 = strangerSucceeded("marker2");
    const feed = stranger.wsSubscribe(`subscription { operationEvents { id kind status server { hostname } } }`, {}, (event) => {
      seen.push(event);
      marker1.feed(event);
      marker2.feed(event);
    });
    const mineDone = firstMatch<any>((e) => e.operationEvents.kind === "PROVISION" && e.operationEvents.status === "SUCCEEDED" && e.operationEvents.server?.hostname === "feed01", "feed01 in this account's feed");
    const ownFeed = t.client.wsSubscribe(`subscription { operationEvents { id kind status server { hostname } } }`, {}, (event) => mineDone.feed(event));
    // The stranger's own server proves its feed is live ...
    await createActiveServer(stranger, { hostname: "marker1" });
    await marker1.promise;
    // ... this account's changes happen (and its own feed sees them) ...
    await createActiveServer(t.client, { hostname: "feed01" });
    await mineDone.promise;
    // ... and a second marker, delivered in order after anything that could have leaked.
    await createActiveServer(stranger, { hostname: "marker2" });
    await marker2.promise;
    feed.close();
    ownFeed.close();
    expect(new Set(seen.map((e) => e.operationEvents.server?.hostname))).toEqual(new Set(["marker1", "marker2"]));
  });
});
