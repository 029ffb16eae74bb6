// The fault matrix, with real processes: an imprint process stopped at a precise point by a
// faulty port, killed with SIGKILL there, and started again on the same data. After the
// restart the shared invariant checker must find nothing wrong.
import { randomBytes } from "node:crypto";
import { open } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { startTestApp, tempDataDir, type TestApp } from "./helpers/app.js";
import { startChildServer } from "./helpers/child.js";
import { GraphQLClient } from "./helpers/clients.js";
import {
  CAPTURE,
  captureTemplate,
  createActiveServer,
  DEPLOY,
  ERROR_FIELDS,
  TEMPLATE,
  waitForOperation,
} from "./helpers/documents.js";
import { checkInvariants, volumeChecksums } from "./helpers/invariants.js";
import { rawId } from "./helpers/store.js";

const MIB = 1024 * 1024;
const FAULT_SERVER = "test/helpers/fault-server.ts";
const OPERATION = `query($id: ID!) { node(id: $id) { ... on Operation { status error { code message } } } }`;
const SERVER = `query($id: ID!) { node(id: $id) { ... on Server { status powerState activeOperation { id } } } }`;

/** Prepares data in process (an account, a server with 40 MiB of random data), then stops. */
async function prepare(withTemplate = false) {
  const dataDir = tempDataDir();
  const t = await startTestApp({ dataDir });
  const server = await createActiveServer(t.client, { hostname: "crash01", os: "DEBIAN_12_64", volumes: [{ role: "BOOT", capacityGb: 2 }, { role: "DATA", capacityGb: 1 }] });
  const data = (await t.app.domain.deps.db.volume.findMany({ where: { serverId: rawId(server.id), index: 1 } }))[0];
  const file = await open(t.app.domain.deps.volumes.pathOf(data.id), "r+");
  for (let i = 0; i < 10; i++) await file.write(randomBytes(4 * MIB), 0, 4 * MIB, i * 8 * MIB);
  await file.close();
  const template = withTemplate ? await captureTemplate(t.client, server.id, "crash01-image") : null;
  const checksums = await volumeChecksums(t.app, rawId(server.id));
  const token = t.client.token!;
  await t.stop({ keepData: true });
  return { dataDir, token, server, template, checksums };
}

/** Runs `start` against a faulty process, kills it where it stopped, restarts in process. */
async function crashAt(dataDir: string, token: string, faults: Record<string, number>, start: (client: GraphQLClient) => Promise<string>) {
  const child = await startChildServer(dataDir, { IMPRINT_TEST_FAULTS: JSON.stringify(faults) }, FAULT_SERVER);
  const operationId = await start(new GraphQLClient(child.url, token));
  await child.waitForOutput(/fault: paused at/);
  await child.kill("SIGKILL");
  const t = await startTestApp({ dataDir });
  return { t, client: new GraphQLClient(t.url, token), operationId };
}

async function settled(client: GraphQLClient, operationId: string) {
  // Recovery runs at start; the operation's state is final once the app is up.
  return (await client.query(OPERATION, { id: operationId })).node;
}

async function expectInvariants(t: TestApp) {
  expect(await checkInvariants(t.app, t.dataDir, t.url)).toEqual([]);
}

describe("SIGKILL during a capture", () => {
  for (const [label, nth] of [["~10%", 2], ["~90%", 11]] as const) {
    it(`at ${label} of its chunks: template FAILED, no chunk left, server ACTIVE RUNNING with its data`, async () => {
      const { dataDir, token, server, checksums } = await prepare();
      const { t, client, operationId } = await crashAt(dataDir, token, { pauseAtPut: nth }, async (c) => {
        const started = (await c.query(CAPTURE, { input: { serverId: server.id, name: "crash01-image" } })).captureImageTemplate;
        return started.operation.id;
      });
      try {
        expect(await settled(client, operationId)).toMatchObject({ status: "FAILED", error: { code: "INTERRUPTED" } });
        expect((await client.query(SERVER, { id: server.id })).node).toEqual({ status: "ACTIVE", powerState: "RUNNING", activeOperation: null });
        expect(await volumeChecksums(t.app, rawId(server.id))).toEqual(checksums);
        expect(await t.app.domain.deps.store.listChunks()).toEqual([]);
        await expectInvariants(t);
      } finally {
        await t.stop();
      }
    });
  }
});

describe("SIGKILL during a deploy", () => {
  it("mid-restore: the new server FAILED with no files, the template intact and deployable", async () => {
    const { dataDir, token, template } = await prepare(true);
    let serverId = "";
    const { t, client, operationId } = await crashAt(dataDir, token, { pauseAtGet: 4 }, async (c) => {
      const result = (await c.query(DEPLOY, { input: { imageTemplateId: template!.id, hostname: "crash02", domain: "example.com" } })).deployImageTemplate;
      serverId = result.server.id;
      return result.operation.id;
    });
    try {
      expect(await settled(client, operationId)).toMatchObject({ status: "FAILED", error: { code: "INTERRUPTED" } });
      expect((await client.query(SERVER, { id: serverId })).node).toMatchObject({ status: "FAILED" });
      const again = (await client.query(DEPLOY, { input: { imageTemplateId: template!.id, hostname: "crash03", domain: "example.com" } })).deployImageTemplate;
      expect((await waitForOperation(client, again.operation.id)).status).toBe("SUCCEEDED");
      await expectInvariants(t);
    } finally {
      await t.stop();
    }
  });
});

describe("SIGKILL during a reload", () => {
  const RELOAD = `mutation($input: ReloadServerInput!) { reloadServer(input: $input) { __typename ... on ReloadServerPayload { operation { id } } ${ERROR_FIELDS} } }`;

  async function reloadTarget(dataDir: string, token: string) {
    const t = await startTestApp({ dataDir });
    const client = new GraphQLClient(t.url, token);
    const target = await createActiveServer(client, { hostname: "target01", os: "DEBIAN_12_64", volumes: [{ role: "BOOT", capacityGb: 2 }, { role: "DATA", capacityGb: 1 }] });
    const before = await volumeChecksums(t.app, rawId(target.id));
    await t.stop({ keepData: true });
    return { target, before };
  }

  it("before its point of no return: the server byte-identical, ACTIVE in its power state, no staged files", async () => {
    const { dataDir, token, template } = await prepare(true);
    const { target, before } = await reloadTarget(dataDir, token);
    const { t, client, operationId } = await crashAt(dataDir, token, { pauseAtGet: 4 }, async (c) => {
      return (await c.query(RELOAD, { input: { serverId: target.id, imageTemplateId: template!.id } })).reloadServer.operation.id;
    });
    try {
      expect(await settled(client, operationId)).toMatchObject({ status: "FAILED", error: { code: "INTERRUPTED" } });
      expect((await client.query(SERVER, { id: target.id })).node).toEqual({ status: "ACTIVE", powerState: "RUNNING", activeOperation: null });
      expect(await volumeChecksums(t.app, rawId(target.id))).toEqual(before);
      await expectInvariants(t);
    } finally {
      await t.stop();
    }
  });

  it("after its point of no return (one volume swapped): the restart finishes the swap and the reload SUCCEEDED", async () => {
    const { dataDir, token, template, checksums } = await prepare(true);
    const { target } = await reloadTarget(dataDir, token);
    const { t, client, operationId } = await crashAt(dataDir, token, { pauseAfterReplace: 1 }, async (c) => {
      return (await c.query(RELOAD, { input: { serverId: target.id, imageTemplateId: template!.id } })).reloadServer.operation.id;
    });
    try {
      expect(await settled(client, operationId)).toMatchObject({ status: "SUCCEEDED", error: null });
      const node = (await client.query(`query($id: ID!) { node(id: $id) { ... on Server { status powerState sourceImageTemplate { id } } } }`, { id: target.id })).node;
      expect(node).toEqual({ status: "ACTIVE", powerState: "RUNNING", sourceImageTemplate: { id: template!.id } });
      // Both volumes now hold the template's bytes (same capacities as the source).
      expect(await volumeChecksums(t.app, rawId(target.id))).toEqual(checksums);
      await expectInvariants(t);
    } finally {
      await t.stop();
    }
  });
});

describe("SIGKILL while a template's chunks are removed", () => {
  it("mid-sweep: the restart completes the deletion; no chunk is left behind", async () => {
    const { dataDir, token, template } = await prepare(true);
    const { t, client, operationId } = await crashAt(dataDir, token, { pauseAtDelete: 3 }, async (c) => {
      const deleted = (await c.query(`mutation($id: ID!) { deleteImageTemplate(input: { id: $id }) { ... on DeleteImageTemplatePayload { operation { id } } } }`, { id: template!.id })).deleteImageTemplate;
      return deleted.operation.id;
    });
    try {
      expect(await settled(client, operationId)).toMatchObject({ status: "SUCCEEDED" });
      expect((await client.query(TEMPLATE, { id: template!.id })).node).toBeNull();
      expect(await t.app.domain.deps.store.listChunks()).toEqual([]);
      await expectInvariants(t);
    } finally {
      await t.stop();
    }
  });
});
