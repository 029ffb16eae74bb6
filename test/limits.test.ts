// Every request is bounded before it executes: depth, aliases, directives, tokens, cost,
// IDs per `nodes`, body size, requests per token, and per-account quotas.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "./helpers/app.ts";
import { CAPTURE, createActiveServer, CREATE_SERVER, serverInput, waitForOperation } from "./helpers/documents.ts";

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t.stop();
});

/** imageTemplates { edges { node { sourceServer { imageTemplates { ... } } } } }, `levels` times. */
function nestedTemplates(levels: number): string {
  let inner = "id";
  for (let i = 0; i < levels; i++) inner = `imageTemplates { edges { node { sourceServer { ${inner} } } } }`;
  return `{ ${inner} }`;
}

async function stillAnswers(): Promise<void> {
  const other = await t.newAccount();
  expect(await other.query(`{ viewer { name } }`)).toMatchObject({ viewer: { name: expect.any(String) } });
}

describe("query bounds", () => {
  it("refuses a deeply nested query before executing it, and keeps serving", async () => {
    const { status, body } = await t.client.raw(nestedTemplates(20));
    expect(status).toBe(400);
    expect(body.data).toBeUndefined();
    expect(body.errors?.[0]).toMatchObject({ message: "Query depth limit of 12 exceeded, found 81.", extensions: { code: "QUERY_TOO_DEEP" } });
    await stillAnswers();
  });

  it("prices fan-out: a shallow query over nested pages is refused by its cost", async () => {
    const query = `{ servers(first: 100) { edges { node { operations(first: 100) { edges { node { id kind status server { imageTemplates(first: 100) { totalCount } } } } } } } } }`;
    const { status, body } = await t.client.raw(query);
    expect(status).toBe(400);
    expect(body.errors?.[0]).toMatchObject({
      message: "Query complexity of 1060201 exceeds max complexity of 20000",
      extensions: { code: "QUERY_COMPLEXITY", queryComplexity: { max: 20000, actual: 1060201 } },
    });
  });

  it("prices every request by its own variables: a document first sent with small pages is refused with large ones", async () => {
    const query = `query($n: Int!) { servers(first: $n) { edges { node { operations(first: $n) { edges { node { id server { imageTemplates(first: $n) { totalCount } } } } } } } } }`;
    const small = await t.client.raw(query, { n: 2 });
    expect(small.status).toBe(200);
    expect((small.body as any).extensions.cost.requested).toBeLessThan(100);
    const large = await t.client.raw(query, { n: 100 });
    expect(large.status).toBe(400);
    expect(large.body.errors?.[0].extensions).toMatchObject({ code: "QUERY_COMPLEXITY" });
    const again = await t.client.raw(query, { n: 2 });
    expect((again.body as any).extensions.cost).toEqual((small.body as any).extensions.cost);
    // Prices are remembered per document and variables: a refusal stays a refusal.
    const largeAgain = await t.client.raw(query, { n: 100 });
    expect(largeAgain.status).toBe(400);
    expect(largeAgain.body.errors?.[0].extensions).toMatchObject({ code: "QUERY_COMPLEXITY" });
  });

  it("reports the cost of a query it runs in extensions.cost", async () => {
    // servers: 1 + 10 × (node: 1 + id 1 + volumes (1 + 10 × index 1)) = 131
    const { body } = await t.client.raw(`{ servers(first: 10) { edges { node { id volumes { index } } } } }`);
    expect(body.errors).toBeUndefined();
    expect((body as any).extensions.cost).toEqual({ requested: 131, limit: 20000 });
  });

  it("refuses more than 30 aliases, and 5,000 aliases before even parsing them all", async () => {
    const aliases = (n: number) => Array.from({ length: n }, (_, i) => `a${i}: datacenters { code }`).join(" ");
    const few = await t.client.raw(`{ ${aliases(31)} }`);
    expect(few.status).toBe(400);
    expect(few.body.errors?.[0]).toMatchObject({ message: "Aliases limit of 30 exceeded, found 31.", extensions: { code: "TOO_MANY_ALIASES" } });
    const many = await t.client.raw(`{ ${aliases(5000)} }`);
    expect(many.status).toBe(400);
    expect(many.body.errors?.[0].message).toBe("Syntax Error: Token limit of 3000 exceeded.");
  });

  it("refuses too many directives and too many tokens", async () => {
    const directives = Array.from({ length: 50 }, () => "@include(if: true)").join(" ");
    expect((await t.client.raw(`{ viewer ${directives} { name } }`)).body.errors?.[0]).toMatchObject({
      message: "Directives limit of 30 exceeded, found 50.",
      extensions: { code: "TOO_MANY_DIRECTIVES" },
    });
    const tokens = `{ viewer { ${Array.from({ length: 3000 }, () => "name").join(" ")} } }`;
    expect((await t.client.raw(tokens)).body.errors?.[0].message).toMatch(/token limit of 3000 exceeded/i);
  });

  it("answers the GraphiQL introspection query", async () => {
    const { getIntrospectionQuery } = await import("graphql");
    const { status, body } = await t.client.raw(getIntrospectionQuery());
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
  });

  it("caps nodes(ids:) at 100 with one typed error", async () => {
    const server = await createActiveServer(t.client, { hostname: "nodes01" });
    const ok = await t.client.query(`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, { ids: Array(100).fill(server.id) });
    expect(ok.nodes).toHaveLength(100);
    const { body } = await t.client.raw(`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, { ids: Array(101).fill(server.id) });
    expect(body.errors).toHaveLength(1);
    expect(body.errors?.[0]).toMatchObject({
      message: "ids: must list at most 100 IDs, got 101",
      extensions: { code: "VALIDATION_FAILED", fields: [{ field: "ids" }] },
    });
    // Far over, the request is priced before it runs: refused by its cost, not executed.
    const far = await t.client.raw(`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, { ids: Array(20_000).fill(server.id) });
    expect(far.status).toBe(400);
    expect(far.body.errors?.[0].extensions).toMatchObject({ code: "QUERY_COMPLEXITY" });
  });
});

describe("request body", () => {
  it("refuses a body above 1 MiB with 413 and a chunked body with 411", async () => {
    const big = JSON.stringify({ query: `{ viewer { name } }`, variables: { pad: "x".repeat(1024 * 1024) } });
    const response = await fetch(t.url, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${t.client.token}` }, body: big });
    expect(response.status).toBe(413);
    expect((await response.json()).errors[0].extensions.code).toBe("PAYLOAD_TOO_LARGE");

    const body = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(JSON.stringify({ query: "{ viewer { name } }" })));
        controller.close();
      },
    });
    const chunked = await fetch(t.url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${t.client.token}` },
      body,
      duplex: "half",
    } as RequestInit);
    expect(chunked.status).toBe(411);
    await stillAnswers();
  });
});

describe("rate limit and quotas", () => {
  let limited: TestApp;
  beforeAll(async () => {
    limited = await startTestApp({
      env: {
        IMPRINT_RATE_LIMIT_PER_MINUTE: "10",
        IMPRINT_QUOTA_SERVERS: "2",
        IMPRINT_QUOTA_TEMPLATES: "1",
        IMPRINT_QUOTA_CONCURRENT_OPERATIONS: "2",
      },
    });
  });
  afterAll(async () => {
    await limited.stop();
  });

  it("answers 429 with Retry-After past the per-token rate; other tokens go on", async () => {
    const client = await limited.newAccount();
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 12; i++) {
      const response = await fetch(limited.url, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${client.token}` },
        body: JSON.stringify({ query: "{ viewer { name } }" }),
      });
      statuses.push(response.status);
      if (response.status === 429) {
        retryAfter = response.headers.get("retry-after");
        expect((await response.json()).errors[0].extensions.code).toBe("RATE_LIMITED");
      }
    }
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(200));
    expect(statuses.slice(10)).toEqual([429, 429]);
    expect(Number(retryAfter)).toBeGreaterThan(0);
    const other = await limited.newAccount();
    expect(await other.query(`{ viewer { name } }`)).toBeTruthy();
    // A subscription start counts too.
    const subscription = client.wsSubscribe(`subscription { operationEvents { id } }`);
    await expect(subscription.done).rejects.toThrow(/RATE_LIMITED|Rate limit/);
  });

  it("refuses a server over the servers quota with a QuotaExceededError naming it, creating nothing", async () => {
    const client = await limited.newAccount();
    const QUOTA = `... on QuotaExceededError { quota limit used }`;
    const create = async (hostname: string) =>
      (await client.query(CREATE_SERVER.replace("__typename", `__typename ${QUOTA}`), { input: serverInput({ hostname }) })).createServer;
    const first = await create("q1");
    const second = await create("q2");
    expect([first.__typename, second.__typename]).toEqual(["CreateServerPayload", "CreateServerPayload"]);
    const third = await create("q3");
    expect(third).toMatchObject({ __typename: "QuotaExceededError", code: "QUOTA_EXCEEDED", quota: "servers", limit: 2, used: 2 });
    const { servers } = await client.query(`{ servers { totalCount } }`);
    expect(servers.totalCount).toBe(2);
    for (const created of [first, second]) await waitForOperation(client, created.operation.id);
  });

  it("refuses operations past the concurrent-operations quota, and templates past the templates quota", async () => {
    const client = await limited.newAccount();
    const a = await createActiveServer(client, { hostname: "ops1" });
    const b = await createActiveServer(client, { hostname: "ops2" });
    await limited.app.domain.runner.stop();
    const POWER = `mutation($id: ID!) { powerOffServer(input: { id: $id }) { __typename ... on QuotaExceededError { quota limit used } ... on PowerOffServerPayload { operation { id } } } }`;
    const offA = (await client.query(POWER, { id: a.id })).powerOffServer;
    const capture = (await client.query(CAPTURE, { input: { serverId: b.id, name: "only-one" } })).captureImageTemplate;
    expect(capture.__typename).toBe("CaptureImageTemplatePayload");
    // Two in flight: a third is refused.
    const refused = (await client.query(POWER, { id: b.id })).powerOffServer;
    expect(refused).toMatchObject({ __typename: "QuotaExceededError", quota: "concurrentOperations", limit: 2, used: 2 });
    await limited.app.domain.runner.start();
    await waitForOperation(client, offA.operation.id);
    expect((await waitForOperation(client, capture.operation.id)).status).toBe("SUCCEEDED");
    const second = (await client.query(CAPTURE.replace("__typename", "__typename ... on QuotaExceededError { quota }"), { input: { serverId: b.id, name: "a-second" } })).captureImageTemplate;
    expect(second).toMatchObject({ __typename: "QuotaExceededError", quota: "templates" });
  });
});

describe("the concurrent-operations quota", () => {
  let quota: TestApp;
  beforeAll(async () => {
    quota = await startTestApp({ env: { IMPRINT_QUOTA_CONCURRENT_OPERATIONS: "2" } });
  });
  afterAll(async () => {
    await quota.stop();
  });

  it("counts every kind of operation but deletes against concurrent operations: a replication past it is refused and queues nothing", async () => {
    const client = await quota.newAccount();
    const a = await createActiveServer(client, { hostname: "rep1" });
    const b = await createActiveServer(client, { hostname: "rep2" });
    const captured = (await client.query(CAPTURE, { input: { serverId: a.id, name: "to-replicate" } })).captureImageTemplate;
    expect((await waitForOperation(client, captured.operation.id)).status).toBe("SUCCEEDED");
    await quota.app.domain.runner.stop();
    const POWER = `mutation($id: ID!) { powerOffServer(input: { id: $id }) { ... on PowerOffServerPayload { operation { id } } } }`;
    const inFlight = [(await client.query(POWER, { id: a.id })).powerOffServer, (await client.query(POWER, { id: b.id })).powerOffServer];
    const REPLICATE = `mutation($input: AddImageTemplateDatacentersInput!) { addImageTemplateDatacenters(input: $input) { __typename ... on QuotaExceededError { quota limit used } } }`;
    const refused = (await client.query(REPLICATE, { input: { id: captured.imageTemplate.id, datacenters: ["fra02"] } })).addImageTemplateDatacenters;
    expect(refused).toMatchObject({ __typename: "QuotaExceededError", quota: "concurrentOperations", limit: 2, used: 2 });
    const { operations } = await client.query(`{ operations(filter: { kind: [REPLICATE_TEMPLATE] }) { totalCount } }`);
    expect(operations.totalCount).toBe(0);
    await quota.app.domain.runner.start();
    for (const { operation } of inFlight) await waitForOperation(client, operation.id);
  });
});
