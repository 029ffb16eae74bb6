// The operation runner: cancelling queued and running work, and recovering after a crash
// of a real server process.
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, tempDataDir, type TestApp } from "./helpers/app.ts";
import { startChildServer } from "./helpers/child.ts";
import { GraphQLClient } from "./helpers/clients.ts";
import {
  CAPTURE,
  captureTemplate,
  createServer,
  DEPLOY,
  ERROR_FIELDS,
  OPERATION_PROGRESS,
} from "./helpers/documents.ts";
import { storeAudit } from "./helpers/store.ts";
import { until } from "./helpers/wait.ts";

const CANCEL = `mutation($id: ID!) { cancelOperation(input: { id: $id }) { __typename ... on CancelOperationPayload { operation { id status cancelRequested } } ${ERROR_FIELDS} } }`;
const SERVER = `query($id: ID!) { node(id: $id) { ... on Server { status powerState network { privateIpv4 } } } }`;

function volumeFiles(dataDir: string): string[] {
  const dir = path.join(dataDir, "volumes");
  return existsSync(dir) ? readdirSync(dir) : [];
}

describe("cancel", () => {
  let t: TestApp;
  beforeAll(async () => {
    // A large OS image keeps provisioning busy long enough to cancel it midway.
    t = await startTestApp({ env: { IMPRINT_OS_IMAGE_MB: "1024" } });
  });
  afterAll(async () => {
    await t.stop();
  });

  it("cancels a QUEUED operation at once: the server ends FAILED, with no files and no addresses", async () => {
    await t.app.domain.runner.stop();
    const { server, operation } = await createServer(t.client, { hostname: "queued01" });
    const result = (await t.client.query(CANCEL, { id: operation.id })).cancelOperation;
    await t.app.domain.runner.start();
    expect(result.operation.status).toBe("CANCELLED");
    const { node } = await t.client.query(SERVER, { id: server.id });
    expect(node).toEqual({ status: "FAILED", powerState: "HALTED", network: null });
    expect(volumeFiles(t.dataDir)).toEqual([]);
  });

  it("cancels a RUNNING provision midway: rolled back, ending CANCELLED, followed live", async () => {
    const { server, operation } = await createServer(t.client, { hostname: "running01" });
    let cancelled: Promise<any> | undefined;
    const subscription = t.client.sseSubscribe(OPERATION_PROGRESS, { id: operation.id }, (event) => {
      const state = event.operationProgress;
      if (!cancelled && state.status === "RUNNING" && state.bytesDone > 0) cancelled = t.client.query(CANCEL, { id: operation.id });
    });
    const events = (await subscription.done).map((e) => e.operationProgress);
    const answer = (await cancelled!).cancelOperation;
    expect(answer.__typename).toBe("CancelOperationPayload");
    const last = events.at(-1);
    expect(last.status).toBe("CANCELLED");
    expect(last.error.code).toBe("CANCELLED");
    expect(last.bytesDone).toBeLessThan(last.bytesTotal);
    const { node } = await t.client.query(SERVER, { id: server.id });
    expect(node.status).toBe("FAILED");
    expect(volumeFiles(t.dataDir)).toEqual([]);
    // The FAILED server can be deleted.
    const deleted = await t.client.query(`mutation($id: ID!) { deleteServer(input: { id: $id }) { __typename } }`, { id: server.id });
    expect(deleted.deleteServer.__typename).toBe("DeleteServerPayload");
  });
});

/** Waits until the child's demo server with this hostname has been provisioned. */
async function activeDemoServer(client: GraphQLClient, hostname: string): Promise<{ id: string }> {
  return until(async () => {
    const { servers } = await client.query(`query($h: String!) { servers(filter: { hostnameContains: $h }) { edges { node { id status activeOperation { id } } } } }`, { h: hostname });
    const server = servers.edges[0].node;
    // ACTIVE comes a moment before its PROVISION operation has ended and let go of it.
    return server.status === "ACTIVE" && !server.activeOperation ? server : null;
  }, `demo server ${hostname} ACTIVE, its provisioning ended`);
}

describe("crash recovery", () => {
  it("rolls back operations of a killed process on the next start (INTERRUPTED)", async () => {
    const dataDir = tempDataDir();
    const token = "imp_crash-test-token-0123456789";
    // A real server process with demo data: its four PROVISION operations start at once.
    const child = await startChildServer(dataDir, { IMPRINT_SEED_DEMO: "true", IMPRINT_DEMO_TOKEN: token, IMPRINT_OS_IMAGE_MB: "2048" });
    const client = new GraphQLClient(child.url, token);
    // Wait until every provision is moving bytes, then kill the process without warning.
    await until(async () => {
      const { operations } = await client.query(`{ operations(filter: { status: [RUNNING] }) { edges { node { bytesDone } } } }`);
      return operations.edges.length === 4 && operations.edges.every((e: any) => e.node.bytesDone > 0);
    }, "four provisions moving bytes");
    await child.kill();
    expect(volumeFiles(dataDir).length).toBeGreaterThan(0);

    const t = await startTestApp({ dataDir, env: { IMPRINT_SEED_DEMO: "true", IMPRINT_DEMO_TOKEN: token } });
    try {
      const owner = new GraphQLClient(t.url, token);
      const data = await owner.query(`{
        operations { edges { node { kind status error { code message } } } }
        servers { edges { node { status activeOperation { id } network { privateIpv4 } } } }
      }`);
      const operations = data.operations.edges.map((e: any) => e.node);
      expect(operations).toHaveLength(4);
      for (const op of operations) {
        expect(op).toMatchObject({ kind: "PROVISION", status: "FAILED", error: { code: "INTERRUPTED" } });
      }
      for (const { node } of data.servers.edges) expect(node).toEqual({ status: "FAILED", activeOperation: null, network: null });
      expect(volumeFiles(dataDir)).toEqual([]);
    } finally {
      await t.stop();
    }
  });
});

describe("crash recovery of a capture", () => {
  it("after a kill mid-capture: no ACTIVE template, no orphan chunks, the server ACTIVE and RUNNING again", async () => {
    const dataDir = tempDataDir();
    const token = "imp_capture-crash-token-012345";
    // The process stops at its fourth chunk write (mid-capture) and is killed there.
    const child = await startChildServer(
      dataDir,
      { IMPRINT_SEED_DEMO: "true", IMPRINT_DEMO_TOKEN: token, IMPRINT_TEST_FAULTS: JSON.stringify({ pauseAtPut: 4 }) },
      "test/helpers/fault-server.ts",
    );
    const client = new GraphQLClient(child.url, token);
    const web01 = await activeDemoServer(client, "web01");
    const started = (await client.query(CAPTURE, { input: { serverId: web01.id, name: "web01-crash" } })).captureImageTemplate;
    await child.waitForOutput(/fault: paused at chunk write/);
    await child.kill();

    const t = await startTestApp({ dataDir, env: { IMPRINT_SEED_DEMO: "true", IMPRINT_DEMO_TOKEN: token } });
    try {
      const owner = new GraphQLClient(t.url, token);
      const data = await owner.query(`query($op: ID!, $server: ID!, $template: ID!) {
        op: node(id: $op) { ... on Operation { status error { code } } }
        server: node(id: $server) { ... on Server { status powerState activeOperation { id } } }
        template: node(id: $template) { ... on ImageTemplate { status } }
        imageTemplates(filter: { status: [ACTIVE] }) { totalCount }
      }`, { op: started.operation.id, server: web01.id, template: started.imageTemplate.id });
      expect(data.op).toEqual({ status: "FAILED", error: { code: "INTERRUPTED" } });
      expect(data.server).toEqual({ status: "ACTIVE", powerState: "RUNNING", activeOperation: null });
      expect(data.template.status).toBe("FAILED");
      expect(data.imageTemplates.totalCount).toBe(0);
      const audit = await storeAudit(t);
      expect(audit).toEqual({ files: [], rows: [], referenced: [] });
    } finally {
      await t.stop();
    }
  });
});

describe("crash recovery of a deploy", () => {
  it("after a kill mid-deploy: the new server FAILED, its files removed, its addresses released, the template deletable", async () => {
    const dataDir = tempDataDir();
    const token = "imp_deploy-crash-token-0123456";
    // The process stops at its second chunk read (mid-restore) and is killed there.
    const child = await startChildServer(
      dataDir,
      { IMPRINT_SEED_DEMO: "true", IMPRINT_DEMO_TOKEN: token, IMPRINT_TEST_FAULTS: JSON.stringify({ pauseAtGet: 2 }) },
      "test/helpers/fault-server.ts",
    );
    const client = new GraphQLClient(child.url, token);
    const app01 = await activeDemoServer(client, "app01");
    const template = await captureTemplate(client, app01.id, "app01-image");
    const started = (await client.query(DEPLOY, { input: { imageTemplateId: template.id, hostname: "app02", domain: "demo.example.com" } })).deployImageTemplate;
    await child.waitForOutput(/fault: paused at chunk read/);
    await child.kill();
    const before = volumeFiles(dataDir).length;

    const t = await startTestApp({ dataDir, env: { IMPRINT_SEED_DEMO: "true", IMPRINT_DEMO_TOKEN: token } });
    try {
      const owner = new GraphQLClient(t.url, token);
      const data = await owner.query(`query($op: ID!, $server: ID!) {
        op: node(id: $op) { ... on Operation { status error { code } } }
        server: node(id: $server) { ... on Server { status network { privateIpv4 } } }
      }`, { op: started.operation.id, server: started.server.id });
      expect(data.op).toEqual({ status: "FAILED", error: { code: "INTERRUPTED" } });
      expect(data.server).toEqual({ status: "FAILED", network: null });
      expect(volumeFiles(dataDir).length).toBeLessThan(before);
      const deleted = (await owner.query(`mutation($id: ID!) { deleteImageTemplate(input: { id: $id }) { __typename } }`, { id: template.id })).deleteImageTemplate;
      expect(deleted.__typename).toBe("DeleteImageTemplatePayload");
    } finally {
      await t.stop();
    }
  });
});
