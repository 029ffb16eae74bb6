// The fault matrix, with real processes: an imprint process stopped at a precise point by a
// faulty port (test/helpers/fault-server.ts), killed with SIGKILL there, and started again on
// the same data. After the restart the shared invariant checker must find nothing wrong.
import { describe, expect, it } from "vitest";
import { GraphQLClient } from "./helpers/clients.ts";
import { createActiveServer, DEPLOY, ERROR_FIELDS, TEMPLATE, waitForOperation } from "./helpers/documents.ts";
import { crashAt, expectInvariants, prepare, SERVER, settled } from "./helpers/crash.ts";
import { volumeChecksums } from "./helpers/invariants.ts";
import { rawId } from "./helpers/store.ts";
import { startTestApp } from "./helpers/app.ts";

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
