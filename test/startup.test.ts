// Start-up and shutdown order, with real processes: an instance that cannot listen takes
// no work, and a stop always ends.
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyMigrations } from "../src/db/migrate.ts";
import { startTestApp, tempDataDir, type TestApp } from "./helpers/app.ts";
import { onPostgresql, onSqlite, runSql, testDatabaseUrl } from "./helpers/database.ts";
import { exited, spawnServer, startChildServer } from "./helpers/child.ts";
import { GraphQLClient } from "./helpers/clients.ts";
import { CAPTURE, createActiveServer, createServer, waitForOperation } from "./helpers/documents.ts";
import { rawId } from "./helpers/store.ts";

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t.stop();
});

describe("an unknown IMPRINT_* variable", () => {
  it("is a start-up warning naming it, and the server starts", async () => {
    const child = await startChildServer(tempDataDir(), { IMPRINT_STROE: "s3://bucket/prefix" });
    try {
      expect(child.output()).toContain("imprint: warning: IMPRINT_STROE is not a setting of imprint and is ignored");
      expect((await fetch(child.url.replace(/\/graphql$/, "/healthz"))).status).toBe(200);
    } finally {
      await child.kill();
    }
  });
});

describe("a second instance on a port that is taken", () => {
  it("exits with one line naming the port, and leaves the queued operations untouched", async () => {
    await t.app.domain.runner.stop();
    const queued = await Promise.all([1, 2, 3].map((n) => createServer(t.client, { hostname: `queued0${n}` })));
    const port = new URL(t.url).port;

    const second = spawnServer(t.dataDir, { PORT: port });
    const { code, output } = await exited(second);
    expect(code).toBe(1);
    expect(output).toContain(`imprint: failed to start: port ${port} is already in use (set PORT to another port)`);
    expect(output).not.toMatch(/\n\s+at /); // no stack trace

    const rows = await t.app.domain.deps.db.operation.findMany({ where: { id: { in: queued.map((q) => rawId(q.operation.id)) } } });
    expect(rows.map((row) => ({ status: row.status, ownerId: row.ownerId }))).toEqual(Array(3).fill({ status: "QUEUED", ownerId: null }));

    await t.app.domain.runner.start();
    for (const { operation } of queued) expect((await waitForOperation(t.client, operation.id)).status).toBe("SUCCEEDED");
  });
});

describe("SIGTERM", () => {
  it("exits within IMPRINT_SHUTDOWN_TIMEOUT_MS while an operation is stuck on I/O, and the next start recovers it", async () => {
    const dataDir = tempDataDir();
    const seed = await startTestApp({ dataDir });
    const server = await createActiveServer(seed.client, { hostname: "stuck01", os: "DEBIAN_12_64", volumes: [{ role: "BOOT", capacityGb: 2 }] });
    const token = seed.client.token!;
    await seed.stop({ keepData: true });

    // The store never returns from its first chunk write.
    const child = await startChildServer(dataDir, { IMPRINT_TEST_FAULTS: JSON.stringify({ pauseAtPut: 1 }), IMPRINT_SHUTDOWN_TIMEOUT_MS: "1500" }, "test/helpers/fault-server.ts");
    const client = new GraphQLClient(child.url, token);
    const started = (await client.query(CAPTURE, { input: { serverId: server.id, name: "stuck01-image" } })).captureImageTemplate;
    await child.waitForOutput(/fault: paused at chunk write 1/);
    const code = await child.kill("SIGTERM");
    expect(code).toBe(1);
    expect(child.output()).toContain("imprint: still stopping after 1500 ms (IMPRINT_SHUTDOWN_TIMEOUT_MS); exiting");

    const t2 = await startTestApp({ dataDir });
    try {
      const owner = new GraphQLClient(t2.url, token);
      const op = (await owner.query(`query($id: ID!) { node(id: $id) { ... on Operation { status error { code } } } }`, { id: started.operation.id })).node;
      expect(op).toEqual({ status: "FAILED", error: { code: "INTERRUPTED" } });
      const state = (await owner.query(`query($id: ID!) { node(id: $id) { ... on Server { status powerState } } }`, { id: server.id })).node;
      expect(state).toEqual({ status: "ACTIVE", powerState: "RUNNING" });
    } finally {
      await t2.stop();
    }
  });
});

describe("start-up failures", () => {
  async function failedStart(dataDir: string, env: Record<string, string> = {}) {
    const { code, output } = await exited(spawnServer(dataDir, env));
    const lines = output.trim().split("\n");
    return { code, lines };
  }

  it("names a data directory that cannot be used, in one line, exit 1", async () => {
    const file = path.join(tempDataDir(), "not-a-folder");
    writeFileSync(file, "x");
    const { code, lines } = await failedStart(file);
    expect(code).toBe(1);
    expect(lines).toEqual([`imprint: failed to start: the data directory ${file} cannot be used (EEXIST): it must be a writable folder (IMPRINT_DATA_DIR)`]);
  });

  it.runIf(onSqlite)("names a database file that is not a database", async () => {
    const dataDir = tempDataDir();
    writeFileSync(path.join(dataDir, "imprint.db"), randomBytes(8192));
    const { code, lines } = await failedStart(dataDir);
    expect(code).toBe(1);
    expect(lines).toEqual([`imprint: failed to start: the database file ${path.join(dataDir, "imprint.db")} is not an SQLite database (corrupt, or another file)`]);
  });

  it("names a database from a newer version (a migration it does not know)", async () => {
    const dataDir = tempDataDir();
    const url = testDatabaseUrl(dataDir);
    await applyMigrations(url);
    await runSql(dataDir, `INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, applied_steps_count) VALUES ('x', 'x', CURRENT_TIMESTAMP, '20991231000000_from_the_future', 1)`);
    const { code, lines } = await failedStart(dataDir);
    expect(code).toBe(1);
    const database = onSqlite ? `the database file ${path.join(dataDir, "imprint.db")}` : `the database ${new URL(url).pathname.slice(1)}`;
    expect(lines).toEqual([`imprint: failed to start: ${database} was migrated by a newer imprint (unknown migrations: 20991231000000_from_the_future); use that version or a backup`]);
  });

  it.runIf(onPostgresql)("names a PostgreSQL server that does not answer, and a database that does not exist", async () => {
    const dataDir = tempDataDir();
    const nobody = await failedStart(dataDir, { DATABASE_URL: "postgresql://imprint:secret@127.0.0.1:1/imprint" });
    expect(nobody.code).toBe(1);
    expect(nobody.lines).toEqual(["imprint: failed to start: the PostgreSQL server of DATABASE_URL postgresql://imprint:***@127.0.0.1:1/imprint does not answer (is it running, and is the host right?)"]);
    const missing = new URL(testDatabaseUrl(dataDir));
    missing.pathname = "/imprint_no_such_database";
    const none = await failedStart(dataDir, { DATABASE_URL: missing.href });
    expect(none.code).toBe(1);
    expect(none.lines).toEqual([`imprint: failed to start: the PostgreSQL server of DATABASE_URL ${missing.href} has no such database (create it first: createdb <name>)`]);
  });
});
