// The fault matrix, in process: faults injected through the ports (a full store or database,
// EIO on volume writes, a missing source volume, a busy database, a dying worker thread).
// After each, the shared invariant checker must find nothing wrong. Damaged and missing
// chunks are in chunk-health.test.ts.
import { rm } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, tempDataDir, type TestApp } from "./helpers/app.ts";
import { holdDatabase, onSqlite } from "./helpers/database.ts";
import {
  CAPTURE,
  captureTemplate,
  CREATE_SERVER,
  DEPLOY,
  serverInput,
  TEMPLATE,
  waitForOperation,
} from "./helpers/documents.ts";
import { DyingCodecPool, FaultyImageStore, FaultyVolumeDriver } from "./helpers/faults.ts";
import { checkInvariants, volumeChecksums } from "./helpers/invariants.ts";
import { rawId } from "./helpers/store.ts";
import { expectInvariants, MIB, RELOAD, serverState, serverWithData } from "./helpers/fault-fixtures.ts";

describe("a full image store during a capture", () => {
  let t: TestApp;
  let store: FaultyImageStore;
  beforeAll(async () => {
    const dataDir = tempDataDir();
    store = new FaultyImageStore(path.join(dataDir, "store"), {});
    t = await startTestApp({ dataDir, ports: { store } });
  });
  afterAll(async () => t.stop());

  it("ends the capture FAILED with STORAGE_FULL naming the store, frees what it wrote, and restores the server", async () => {
    const server = await serverWithData(t, t.client, "full01", 40);
    const before = await volumeChecksums(t.app, rawId(server.id));
    store.faults.spaceBytes = 16 * MIB; // about 40% of the data
    const started = (await t.client.query(CAPTURE, { input: { serverId: server.id, name: "full01-image" } })).captureImageTemplate;
    const final = await waitForOperation(t.client, started.operation.id);
    expect(final.status).toBe("FAILED");
    expect(final.error.code).toBe("STORAGE_FULL");
    expect(final.error.message).toMatch(/^image store "local" is full \(no space left on device\)/);
    expect(final.error.message).not.toContain(t.dataDir);
    expect(final.server).toMatchObject({ status: "ACTIVE", powerState: "RUNNING" });
    expect((await t.client.query(TEMPLATE, { id: started.imageTemplate.id })).node.status).toBe("FAILED");
    expect(await volumeChecksums(t.app, rawId(server.id))).toEqual(before);
    expect((await t.app.domain.deps.store.listChunks()).length).toBe(0);
    await expectInvariants(t);

    // Space again: the same capture works, and cancel answers meanwhile.
    store.faults.spaceBytes = undefined;
    const retry = await captureTemplate(t.client, server.id, "full01-image-2");
    expect((await t.client.query(TEMPLATE, { id: retry.id })).node.status).toBe("ACTIVE");
    await expectInvariants(t);
  });
});

// SQLite's own: its file may not grow. (PostgreSQL's disk is its server's.)
describe.runIf(onSqlite)("a full database during a capture", () => {
  it("ends the capture STORAGE_FULL naming the database, and leaves no chunk file without its row", async () => {
    const t = await startTestApp();
    try {
      const server = await serverWithData(t, t.client, "dbfull01", 256);
      const db = t.app.domain.deps.db;
      // SQLite's own limit: the file may not grow, and its free pages are taken by filler.
      await db.$executeRawUnsafe("CREATE TABLE filler (x BLOB)");
      const [{ page_count }] = await db.$queryRawUnsafe<Array<{ page_count: bigint }>>("PRAGMA page_count");
      await db.$queryRawUnsafe(`PRAGMA max_page_count = ${Number(page_count)}`);
      for (;;) {
        try {
          await db.$executeRawUnsafe("INSERT INTO filler VALUES (zeroblob(3000))");
        } catch {
          break; // full
        }
      }
      let final;
      try {
        const started = (await t.client.query(CAPTURE, { input: { serverId: server.id, name: "dbfull01-image" } })).captureImageTemplate;
        final = await waitForOperation(t.client, started.operation.id);
      } finally {
        await db.$executeRawUnsafe("DROP TABLE filler");
        await db.$queryRawUnsafe("PRAGMA max_page_count = 1073741823");
      }
      expect(final.status).toBe("FAILED");
      expect(final.error).toEqual({ code: "STORAGE_FULL", message: "the database is full (no space left on device)" });
      expect(final.server).toMatchObject({ status: "ACTIVE", powerState: "RUNNING" });
      expect(await t.app.domain.deps.store.listChunks()).toEqual([]);
      await expectInvariants(t);
    } finally {
      await t.stop();
    }
  });
});

describe("EIO on volume writes", () => {
  let t: TestApp;
  let volumes: FaultyVolumeDriver;
  let template: { id: string };
  let source: { id: string; fqdn: string };
  beforeAll(async () => {
    const dataDir = tempDataDir();
    volumes = new FaultyVolumeDriver(path.join(dataDir, "volumes"), {});
    t = await startTestApp({ dataDir, ports: { volumes } });
    source = await serverWithData(t, t.client, "eio01", 16);
    template = await captureTemplate(t.client, source.id, "eio01-image");
  });
  afterAll(async () => t.stop());

  /**
   * Deploys the template as `hostname` with a volume fault on; the deploy must end IO_ERROR
   * naming the new server's volume, the new server FAILED with no files.
   */
  async function deployFailingOnIo(templateId: string, hostname: string, fault: (on: boolean) => void) {
    fault(true);
    let result;
    let final;
    try {
      result = (await t.client.query(DEPLOY, { input: { imageTemplateId: templateId, hostname, domain: "example.com" } })).deployImageTemplate;
      final = await waitForOperation(t.client, result.operation.id);
    } finally {
      fault(false);
    }
    expect(final.status).toBe("FAILED");
    expect(final.error.code).toBe("IO_ERROR");
    expect(final.error.message).toMatch(new RegExp(`^volume \\d of server ${hostname}\\.example\\.com failed: input/output error`));
    expect(final.server.status).toBe("FAILED");
    const files = await t.app.domain.deps.db.volume.findMany({ where: { serverId: rawId(result.server.id) } });
    for (const volume of files) expect(await t.app.domain.deps.volumes.exists(volume.id)).toBe(false);
    await expectInvariants(t);
    return final;
  }

  it("fails a deploy with IO_ERROR naming the new server's volume; the new server is FAILED with no files", async () => {
    const final = await deployFailingOnIo(template.id, "eio02", (on) => (volumes.faults.failWritesAfterBytes = on ? 0 : undefined));
    expect(final.error.message).not.toContain(t.dataDir);
  });

  it("fails a deploy with IO_ERROR when its restored volume cannot be made durable", async () => {
    await deployFailingOnIo(template.id, "eio05", (on) => (volumes.faults.failFlushes = on));
  });

  it("fails a reload with IO_ERROR and leaves the server byte-identical, in its power state", async () => {
    const target = await serverWithData(t, t.client, "eio03", 8);
    const off = (await t.client.query(`mutation($id: ID!) { powerOffServer(input: { id: $id }) { ... on PowerOffServerPayload { operation { id } } } }`, { id: target.id })).powerOffServer;
    await waitForOperation(t.client, off.operation.id);
    const before = await volumeChecksums(t.app, rawId(target.id));
    volumes.faults.failWritesAfterBytes = 4 * MIB;
    const result = (await t.client.query(RELOAD, { input: { serverId: target.id, imageTemplateId: template.id } })).reloadServer;
    const final = await waitForOperation(t.client, result.operation.id);
    volumes.faults.failWritesAfterBytes = undefined;
    expect(final.status).toBe("FAILED");
    expect(final.error.code).toBe("IO_ERROR");
    expect(await serverState(t.client, target.id)).toEqual({ status: "ACTIVE", powerState: "HALTED", activeOperation: null });
    expect(await volumeChecksums(t.app, rawId(target.id))).toEqual(before);
    await expectInvariants(t);
  });
});

describe("a source volume file missing", () => {
  it("fails the capture with IO_ERROR naming the server's volume; the server is ACTIVE again", async () => {
    const t = await startTestApp();
    try {
      const server = await serverWithData(t, t.client, "gone01", 4);
      const data = (await t.app.domain.deps.db.volume.findMany({ where: { serverId: rawId(server.id), index: 1 } }))[0];
      await rm(t.app.domain.deps.volumes.pathOf(data.id));
      const started = (await t.client.query(CAPTURE, { input: { serverId: server.id, name: "gone01-image" } })).captureImageTemplate;
      const final = await waitForOperation(t.client, started.operation.id);
      expect(final.error).toEqual({ code: "IO_ERROR", message: "volume 1 of server gone01.example.com failed: the file is missing" });
      expect(final.server).toMatchObject({ status: "ACTIVE", powerState: "RUNNING" });
      const problems = await checkInvariants(t.app, t.dataDir, t.url);
      // The one thing wrong is what the test did: the volume file is gone.
      expect(problems).toEqual(["server gone01.example.com is ACTIVE without volume 1"]);
    } finally {
      await t.stop();
    }
  });
});

describe("a database that stays busy", () => {
  it("answers a mutation UNAVAILABLE (503) without creating anything, and works once the lock is gone", async () => {
    const t = await startTestApp({ env: { IMPRINT_DB_BUSY_TIMEOUT_MS: "200" } });
    try {
      const before = await t.app.domain.deps.db.server.count();
      const release = await holdDatabase(t.dataDir);
      let answer;
      try {
        answer = await t.client.raw(CREATE_SERVER, { input: serverInput({ hostname: "busy01" }) });
      } finally {
        await release();
      }
      expect(answer.status).toBe(503);
      expect(answer.body.errors?.[0]).toMatchObject({ extensions: { code: "UNAVAILABLE" } });
      expect(answer.body.errors?.[0].message).toMatch(/database stayed busy/);
      expect(await t.app.domain.deps.db.server.count()).toBe(before);
      const retry = (await t.client.query(CREATE_SERVER, { input: serverInput({ hostname: "busy01" }) })).createServer;
      expect((await waitForOperation(t.client, retry.operation.id)).status).toBe("SUCCEEDED");
      await expectInvariants(t);
    } finally {
      await t.stop();
    }
  });
});

describe("a worker thread that dies", () => {
  it("fails a capture with a clear error and restores the server; the next capture works", async () => {
    const t = await startTestApp({ ports: { codec: new DyingCodecPool(3) } });
    try {
      const server = await serverWithData(t, t.client, "worker01", 16);
      const started = (await t.client.query(CAPTURE, { input: { serverId: server.id, name: "worker01-image" } })).captureImageTemplate;
      const final = await waitForOperation(t.client, started.operation.id);
      expect(final.status).toBe("FAILED");
      expect(final.error.message).toMatch(/a codec worker thread exited with code \d+ while it (hashed|compressed) a chunk/);
      expect(final.server).toMatchObject({ status: "ACTIVE", powerState: "RUNNING" });
      await expectInvariants(t);
      expect((await captureTemplate(t.client, server.id, "worker01-image-2")).id).toBeTruthy();
      await expectInvariants(t);
    } finally {
      await t.stop();
    }
  });

  it("fails a deploy with a clear error; the new server is FAILED with no files", async () => {
    const dataDir = tempDataDir();
    const seed = await startTestApp({ dataDir });
    const server = await serverWithData(seed, seed.client, "worker02", 16);
    const template = await captureTemplate(seed.client, server.id, "worker02-image");
    const token = seed.client.token!;
    await seed.stop({ keepData: true });
    // Same data, a pool whose first decompression's worker dies.
    const t = await startTestApp({ dataDir, ports: { codec: new DyingCodecPool(1) } });
    try {
      const client = new (await import("./helpers/clients.ts")).GraphQLClient(t.url, token);
      const result = (await client.query(DEPLOY, { input: { imageTemplateId: template.id, hostname: "worker03", domain: "example.com" } })).deployImageTemplate;
      const final = await waitForOperation(client, result.operation.id);
      expect(final.status).toBe("FAILED");
      expect(final.error.message).toMatch(/codec worker thread exited with code \d+ while it decompressed a chunk/);
      expect(final.server.status).toBe("FAILED");
      expect((await client.query(TEMPLATE, { id: template.id })).node.status).toBe("ACTIVE");
      await expectInvariants(t);
    } finally {
      await t.stop();
    }
  });
});
