// Safe by default, over the real HTTP server: health and readiness endpoints, unexpected
// errors masked in every mode with a request ID that is on the log line, no CORS unless
// configured, no form or text POSTs (CSRF), introspection and GraphiQL as configured.
import { mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Logger } from "../src/domain/deps.ts";
import { SimulatedHypervisor } from "../src/hypervisor/simulated.ts";
import { startTestApp, tempDataDir, type TestApp } from "./helpers/app.ts";
import { CAPTURE, createActiveServer } from "./helpers/documents.ts";
import { FaultyImageStore, Gate } from "./helpers/faults.ts";
import { startChildServer } from "./helpers/child.ts";
import { watchConsole } from "./helpers/console.ts";

const base = (t: TestApp) => t.url.replace(/\/graphql$/, "");

describe("health and readiness", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.stop());

  it("/healthz says the process is up and /readyz that every check passes, without a token", async () => {
    const health = await fetch(`${base(t)}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ok", node: process.version });
    const ready = await fetch(`${base(t)}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: "ready", checks: { database: "ok", migrations: "ok", imageStore: "ok" } });
  });

  it("/readyz is 503 naming the image store when it cannot be written", async () => {
    const store = path.join(t.dataDir, "store");
    mkdirSync(store, { recursive: true });
    renameSync(store, `${store}.away`);
    writeFileSync(store, "not a folder");
    try {
      const ready = await fetch(`${base(t)}/readyz`);
      expect(ready.status).toBe(503);
      const body = await ready.json();
      expect(body.status).toBe("not ready");
      expect(body.checks.database).toBe("ok");
      expect(body.checks.imageStore).not.toBe("ok");
    } finally {
      rmSync(store);
      renameSync(`${store}.away`, store);
    }
    expect((await fetch(`${base(t)}/readyz`)).status).toBe(200);
  });

  it("/readyz is 503 naming a migration that is not applied", async () => {
    const db = t.app.domain.deps.db;
    const [last] = (await db.$queryRawUnsafe(`SELECT id, migration_name FROM _prisma_migrations ORDER BY migration_name DESC LIMIT 1`)) as Array<{ id: string; migration_name: string }>;
    await db.$executeRawUnsafe(`UPDATE _prisma_migrations SET rolled_back_at = CURRENT_TIMESTAMP WHERE id = '${last.id}'`);
    try {
      const body = await (await fetch(`${base(t)}/readyz`)).json();
      expect(body.checks.migrations).toBe(`not applied: ${last.migration_name}`);
    } finally {
      await db.$executeRawUnsafe(`UPDATE _prisma_migrations SET rolled_back_at = NULL WHERE id = '${last.id}'`);
    }
  });
});

/** A hypervisor whose console breaks with an internal detail in its message. */
class BrokenConsole extends SimulatedHypervisor {
  override consoleTail(): Promise<string[]> {
    return Promise.reject(new Error("EACCES: permission denied, open '/srv/secret/console.log'"));
  }
}

/** A log that keeps its error lines. */
function errorLines() {
  const lines: Array<{ message: string; fields?: Record<string, unknown> }> = [];
  const log: Logger = { info: () => undefined, warn: () => undefined, error: (message, fields) => lines.push({ message, fields }) };
  return { lines, log };
}

describe("unexpected errors", () => {
  for (const mode of ["development", "production"] as const) {
    it(`are masked in ${mode}, with a request ID that is on the log line with the real error`, async () => {
      const { lines, log } = errorLines();
      const dataDir = tempDataDir();
      const env: Record<string, string> = mode === "production" ? { NODE_ENV: "production", DATABASE_URL: `file:${path.join(dataDir, "imprint.db")}`, HOST: "127.0.0.1" } : { NODE_ENV: "development" };
      const t = await startTestApp({ dataDir, env, log, ports: { hypervisor: new BrokenConsole(path.join(dataDir, "machines")) } });
      try {
        const server = await createActiveServer(t.client, { hostname: "masked01" });
        const response = await fetch(t.url, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${t.client.token}` },
          body: JSON.stringify({ query: `query($id: ID!) { node(id: $id) { ... on Server { console } } }`, variables: { id: server.id } }),
        });
        const body = await response.json();
        const error = body.errors?.[0];
        expect(error?.message).toBe("Unexpected error.");
        expect(JSON.stringify(body)).not.toContain("/srv/secret");
        // The request's own ID: the one on its response and on its log line.
        const requestId = (error?.extensions as { requestId?: string }).requestId;
        expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
        expect(requestId).toBe(response.headers.get("x-request-id"));
        const logged = lines.find((line) => line.message === "unexpected error" && line.fields?.requestId === requestId);
        expect(String(logged?.fields?.error)).toContain("/srv/secret/console.log");
      } finally {
        await t.stop();
      }
    });
  }
});

describe("unexpected errors in a subscription that several follow", () => {
  it("reach each follower masked, with the request ID of the one log line", async () => {
    const { lines, log } = errorLines();
    const dataDir = tempDataDir();
    // The capture waits at its first chunk: its state does not change while it is followed.
    const gate = new Gate();
    const leave = new AbortController();
    const t = await startTestApp({
      dataDir,
      env: { NODE_ENV: "development" },
      log,
      ports: { hypervisor: new BrokenConsole(path.join(dataDir, "machines")), store: new FaultyImageStore(path.join(dataDir, "store"), { pauseAtPut: { nth: 1, gate } }) },
    });
    try {
      const server = await createActiveServer(t.client, { hostname: "masked02" });
      const { operation } = (await t.client.query(CAPTURE, { input: { serverId: server.id, name: "masked02-image" } })).captureImageTemplate;
      await gate.reached;
      // Two followers of one source: one over SSE that stays, one over WebSocket that joins it.
      // The source's one result so far has an error.
      const follow = `subscription($id: ID!) { operationProgress(id: $id) { status server { console } } }`;
      const first = await fetch(t.url, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "text/event-stream", authorization: `Bearer ${t.client.token}` },
        body: JSON.stringify({ query: follow, variables: { id: operation.id } }),
        signal: leave.signal,
      });
      const reader = first.body!.pipeThrough(new TextDecoderStream()).getReader();
      let text = "";
      while (!/event: next\ndata: .*\n\n/.test(text)) text += (await reader.read()).value ?? "";
      const second = await t.client.wsSubscribe(follow, { id: operation.id }).done.then(() => "completed", (error: Error) => error.message);
      const requestIds = [/event: next\ndata: (.*)\n\n/.exec(text)![1], second].map((failure) => {
        expect(failure).toContain("Unexpected error.");
        expect(failure).not.toContain("/srv/secret");
        return /"requestId":"([^"]+)"/.exec(failure)?.[1];
      });
      expect(requestIds[0]).toMatch(/^[0-9a-f-]{36}$/);
      expect(requestIds[1]).toBe(requestIds[0]);
      // The result was masked once for both, not once per follower: one log line, with the real error.
      const logged = lines.filter((line) => line.message === "unexpected error");
      expect(logged).toHaveLength(1);
      expect(logged[0].fields?.requestId).toBe(requestIds[0]);
      expect(String(logged[0].fields?.error)).toContain("/srv/secret/console.log");
    } finally {
      leave.abort();
      gate.release();
      await t.stop();
    }
  });
});

describe("browsers", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.stop());

  it("gets no CORS permission for any origin unless one is configured", async () => {
    const preflight = await fetch(t.url, { method: "OPTIONS", headers: { origin: "https://evil.example", "access-control-request-method": "POST", "access-control-request-headers": "authorization,content-type" } });
    expect(preflight.headers.get("access-control-allow-origin")).toBeNull();
    expect(preflight.headers.get("access-control-allow-credentials")).toBeNull();
    const simple = await fetch(t.url, { method: "POST", headers: { origin: "https://evil.example", "content-type": "application/json", authorization: `Bearer ${t.client.token}` }, body: JSON.stringify({ query: "{ viewer { name } }" }) });
    expect(simple.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("trusts exactly the configured origins, with credentials", async () => {
    const own = await startTestApp({ env: { IMPRINT_CORS_ORIGINS: "https://console.example.com" } });
    try {
      const ask = (origin: string) => fetch(own.url, { method: "OPTIONS", headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "authorization,content-type" } });
      const allowed = await ask("https://console.example.com");
      expect(allowed.headers.get("access-control-allow-origin")).toBe("https://console.example.com");
      expect(allowed.headers.get("access-control-allow-credentials")).toBe("true");
      expect((await ask("https://evil.example")).headers.get("access-control-allow-origin")).not.toBe("https://evil.example");
    } finally {
      await own.stop();
    }
  });

  it("refuses form and text POSTs (what another site can make a browser send) before they run", async () => {
    const mutation = `mutation { createServer(input: { hostname: "csrf01", domain: "example.com", datacenter: "dal10", cpu: 1, memoryMb: 1024, os: "DEBIAN_12_64", volumes: [{ role: BOOT, capacityGb: 2 }] }) { __typename } }`;
    const before = await t.app.domain.deps.db.server.count();
    for (const [type, body] of [
      ["application/x-www-form-urlencoded", new URLSearchParams({ query: mutation }).toString()],
      ["text/plain", JSON.stringify({ query: mutation })],
      ["multipart/form-data; boundary=x", `--x\r\nContent-Disposition: form-data; name="query"\r\n\r\n${mutation}\r\n--x--\r\n`],
    ]) {
      const response = await fetch(t.url, { method: "POST", headers: { "content-type": type, authorization: `Bearer ${t.client.token}` }, body });
      expect(response.status, type).toBe(415);
    }
    expect(await t.app.domain.deps.db.server.count()).toBe(before);
  });

  it("answers introspection and serves GraphiQL in development, and neither when switched off", async () => {
    expect((await t.client.raw(`{ __schema { queryType { name } } }`)).body.data).toEqual({ __schema: { queryType: { name: "Query" } } });
    const off = await startTestApp({ env: { IMPRINT_INTROSPECTION: "false", IMPRINT_GRAPHIQL: "false" } });
    try {
      const refused = await off.client.raw(`{ __schema { queryType { name } } }`);
      expect(refused.status).toBe(400);
      expect(refused.body.errors?.[0].message).toMatch(/introspection/i);
      const page = await fetch(off.url, { headers: { accept: "text/html" } });
      expect(page.headers.get("content-type") ?? "").not.toContain("text/html");
    } finally {
      await off.stop();
    }
  });
});

describe("logs", () => {
  it("write one line per request (request ID, account, operation, duration, outcome) and one per operation state change", async () => {
    const lines: Array<{ message: string; fields?: Record<string, unknown> }> = [];
    const keep = (message: string, fields?: Record<string, unknown>) => void lines.push({ message, fields });
    const t = await startTestApp({ log: { info: keep, warn: keep, error: keep } });
    try {
      const response = await fetch(t.url, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${t.client.token}`, "x-request-id": "req-test-0001" },
        body: JSON.stringify({ query: "query MyServers { servers { totalCount } }" }),
      });
      expect(response.headers.get("x-request-id")).toBe("req-test-0001");
      const server = await createActiveServer(t.client, { hostname: "logged01" });
      const request = lines.find((line) => line.message === "request" && line.fields?.requestId === "req-test-0001");
      expect(request?.fields).toMatchObject({ method: "POST", path: "/graphql", status: 200, operationName: "MyServers", outcome: "ok", accountId: expect.stringMatching(/^acct_/) });
      expect(typeof request?.fields?.durationMs).toBe("number");
      const kinds = lines.filter((line) => line.message.startsWith("operation ")).map((line) => `${line.message} ${line.fields?.kind}`);
      expect(kinds).toEqual(expect.arrayContaining(["operation RUNNING PROVISION", "operation SUCCEEDED PROVISION"]));
      expect(server.id).toBeTruthy();
    } finally {
      await t.stop();
    }
  });

  it("are JSON lines at LOG_LEVEL on stderr of a real process", async () => {
    const child = await startChildServer(tempDataDir(), { LOG_LEVEL: "info" });
    try {
      const health = await fetch(child.url.replace(/\/graphql$/, "/healthz"));
      expect(health.status).toBe(200);
      const [line] = await child.waitForOutput(/\{[^\n]*"msg":"request"[^\n]*\}/);
      expect(JSON.parse(line)).toMatchObject({ level: 30, msg: "request", path: "/healthz", status: 200 });
    } finally {
      await child.kill();
    }
  });
});

describe("metrics", () => {
  it("counts requests, operations, bytes, the store, open subscriptions and refusals at /metrics", async () => {
    const t = await startTestApp();
    try {
      const scrape = async () => (await fetch(t.url.replace(/\/graphql$/, "/metrics"))).text();
      const value = (text: string, series: string) => Number(new RegExp(`^${series.replace(/[{}"=,]/g, (c) => `\\${c}`)} (\\S+)$`, "m").exec(text)?.[1] ?? NaN);
      const server = await createActiveServer(t.client, { hostname: "metrics01" });
      await t.client.query(`{ servers { totalCount } }`);
      let inner = "id";
      for (let i = 0; i < 4; i++) inner = `operations { edges { node { server { ${inner} } } } }`;
      const deep = `{ node(id: "x") { ... on Server { ${inner} } } }`; // 18 deep
      expect((await t.client.raw(deep)).status).toBe(400);
      const { captureImageTemplate } = await t.client.query(`mutation($id: ID!) { captureImageTemplate(input: { serverId: $id, name: "metrics-image" }) { ... on CaptureImageTemplatePayload { operation { id } } } }`, { id: server.id });
      const sse = t.client.sseSubscribe(`subscription($id: ID!) { operationProgress(id: $id) { status } }`, { id: captureImageTemplate.operation.id });
      await sse.done;

      const text = await scrape();
      expect(value(text, `imprint_http_request_duration_seconds_count{operation="query servers",outcome="ok"}`)).toBeGreaterThanOrEqual(1);
      expect(value(text, `imprint_operation_duration_seconds_count{kind="PROVISION",status="SUCCEEDED"}`)).toBe(1);
      expect(value(text, `imprint_operation_duration_seconds_count{kind="CAPTURE",status="SUCCEEDED"}`)).toBe(1);
      expect(value(text, `imprint_bytes_total{direction="captured"}`)).toBeGreaterThan(0);
      expect(value(text, `imprint_refusals_total{limit="depth"}`)).toBe(1);
      expect(value(text, "imprint_store_chunks")).toBeGreaterThan(0);
      expect(value(text, "imprint_store_bytes")).toBeGreaterThan(0);
      expect(value(text, "imprint_open_subscriptions")).toBe(0);
      const console = watchConsole(t.client, server.id, "sse", 1);
      try {
        await console.waitFor(/./, "the subscription's first line");
        expect(value(await scrape(), "imprint_open_subscriptions")).toBe(1);
      } finally {
        console.close();
      }
    } finally {
      await t.stop();
    }
  });
});
