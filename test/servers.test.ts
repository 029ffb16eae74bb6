// Creating, watching, powering and deleting servers over real HTTP, SSE and WebSocket.
import { stat } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "./helpers/app.ts";
import {
  createActiveServer,
  createServer,
  ERROR_FIELDS,
  OPERATION_PROGRESS,
  waitForOperation,
} from "./helpers/documents.ts";

const GIB = 1024 ** 3;
let t: TestApp;

beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t.stop();
});

async function volumeFiles(serverId: string) {
  const server = await t.app.domain.deps.db.server.findFirstOrThrow({
    where: { id: Buffer.from(serverId, "base64").toString().split(":")[1] },
    include: { volumes: { orderBy: { index: "asc" } } },
  });
  return Promise.all(
    server.volumes.map(async (v) => {
      const file = path.join(t.dataDir, "volumes", `${v.id}.raw`);
      const info = await stat(file);
      return { file, capacityGb: v.capacityGb, size: info.size, allocated: info.blocks * 512 };
    }),
  );
}

describe("createServer", () => {
  it("provisions a server whose PROVISION operation is followed to SUCCEEDED over SSE", async () => {
    const { server, operation } = await createServer(t.client, { hostname: "sse01" });
    expect(server.status).toBe("PROVISIONING");
    expect(operation.kind).toBe("PROVISION");
    expect(["QUEUED", "RUNNING"]).toContain(operation.status);

    const events = await t.client.sseSubscribe(OPERATION_PROGRESS, { id: operation.id }).done;
    const states = events.map((e) => e.operationProgress);
    const last = states.at(-1);
    expect(last.status).toBe("SUCCEEDED");
    expect(last.progress).toBe(1);
    expect(last.bytesDone).toBe(last.bytesTotal);
    expect(last.bytesTotal).toBe(8 * 1024 * 1024); // the OS image of IMPRINT_OS_IMAGE_MB=8
    expect(last.server.status).toBe("ACTIVE");
    expect(last.server.powerState).toBe("RUNNING");
    // Progress only moves forward.
    const progress = states.map((s) => s.progress);
    expect([...progress].sort((a, b) => a - b)).toEqual(progress);
  });

  it("reads a server's latest operation afresh for every event a subscription sends, not from the first event's load", async () => {
    const { operation } = await createServer(t.client, { hostname: "fresh01" });
    const events = await t.client.sseSubscribe(
      `subscription($id: ID!) { operationProgress(id: $id) { status server { latestOperation { id status } } } }`,
      { id: operation.id },
    ).done;
    const states = events.map((e) => e.operationProgress);
    expect(states.length).toBeGreaterThan(1);
    expect(states.at(-1).status).toBe("SUCCEEDED");
    // Each event reads the server's latest operation when it is sent: never older than the event.
    for (const state of states) expect(state.server.latestOperation.id).toBe(operation.id);
    expect(states.at(-1).server.latestOperation).toEqual({ id: operation.id, status: "SUCCEEDED" });
  });

  it("is followed to SUCCEEDED over WebSocket too", async () => {
    const { operation } = await createServer(t.client, { hostname: "ws01" });
    const events = await t.client.wsSubscribe(OPERATION_PROGRESS, { id: operation.id }).done;
    expect(events.at(-1).operationProgress.status).toBe("SUCCEEDED");
  });

  it("writes sparse volume files of exactly the requested capacity, with the OS on the boot volume", async () => {
    const server = await createActiveServer(t.client, {
      hostname: "files01",
      volumes: [
        { role: "BOOT", capacityGb: 25 },
        { role: "DATA", capacityGb: 500 },
      ],
    });
    const files = await volumeFiles(server.id);
    expect(files.map((f) => f.size)).toEqual([25 * GIB, 500 * GIB]);
    // Sparse: far less on disk than the capacity; the boot volume holds its OS image.
    expect(files[0].allocated).toBeGreaterThan(1024 * 1024);
    expect(files[0].allocated).toBeLessThan(64 * 1024 * 1024);
    expect(files[1].allocated).toBeLessThan(1024 * 1024);
  });

  it("gives every server its own addresses and MAC in a datacenter", async () => {
    const servers = await Promise.all([1, 2, 3].map((n) => createServer(t.client, { hostname: `net0${n}`, datacenter: "tok05" })));
    const networks = servers.map((s) => s.server.network);
    expect(new Set(networks.map((n) => n.privateIpv4)).size).toBe(3);
    expect(new Set(networks.map((n) => n.publicIpv4)).size).toBe(3);
    expect(new Set(networks.map((n) => n.macAddress)).size).toBe(3);
    for (const n of networks) expect(n.privateIpv4).toMatch(/^10\.40\./);
    await Promise.all(servers.map((s) => waitForOperation(t.client, s.operation.id)));
  });
});

const POWER = (name: string) => `
  mutation($id: ID!) {
    ${name}(input: { id: $id }) {
      __typename
      ... on ${name.charAt(0).toUpperCase() + name.slice(1)}Payload { server { id powerState status } operation { id kind status } }
      ${ERROR_FIELDS}
    }
  }
`;

describe("power and delete", () => {
  it("powers a server off and on, and refuses to power off a halted server", async () => {
    const server = await createActiveServer(t.client, { hostname: "power01" });

    const off = (await t.client.query(POWER("powerOffServer"), { id: server.id })).powerOffServer;
    expect(off.__typename).toBe("PowerOffServerPayload");
    expect((await waitForOperation(t.client, off.operation.id)).server.powerState).toBe("HALTED");

    const again = (await t.client.query(POWER("powerOffServer"), { id: server.id })).powerOffServer;
    expect(again).toMatchObject({ __typename: "ConflictError", code: "CONFLICT", state: "HALTED" });

    const on = (await t.client.query(POWER("powerOnServer"), { id: server.id })).powerOnServer;
    expect((await waitForOperation(t.client, on.operation.id)).server.powerState).toBe("RUNNING");
  });

  it("deletes a server: its volume files are removed and it is gone from the API", async () => {
    const server = await createActiveServer(t.client, { hostname: "delete01" });
    const files = await volumeFiles(server.id);
    const result = (await t.client.query(POWER("deleteServer"), { id: server.id })).deleteServer;
    expect(result.server.status).toBe("DELETING");
    const final = await waitForOperation(t.client, result.operation.id);
    expect(final.status).toBe("SUCCEEDED");
    expect(final.server).toBeNull();
    for (const f of files) await expect(stat(f.file)).rejects.toThrow(/ENOENT/);
    const node = await t.client.query(`query($id: ID!) { node(id: $id) { id } }`, { id: server.id });
    expect(node.node).toBeNull();
  });

  it("lets exactly one of two concurrent operations on a server win; the other is a ConflictError", async () => {
    const server = await createActiveServer(t.client, { hostname: "race01" });
    // Paused, the runner leaves the winner QUEUED, holding the lock, however fast it would run.
    await t.app.domain.runner.stop();
    const [a, b] = await Promise.all([
      t.client.query(POWER("powerOffServer"), { id: server.id }),
      t.client.query(POWER("deleteServer"), { id: server.id }),
    ]);
    await t.app.domain.runner.start();
    const results = [a.powerOffServer, b.deleteServer];
    const winners = results.filter((r) => r.__typename.endsWith("Payload"));
    const losers = results.filter((r) => r.__typename === "ConflictError");
    expect(winners).toHaveLength(1);
    expect(losers).toHaveLength(1);
    expect(losers[0].state).toBe("OPERATION_IN_FLIGHT");
    await waitForOperation(t.client, winners[0].operation.id);
  });

  it("refuses to delete a server while its provisioning is in flight, and changes nothing", async () => {
    const { server, operation } = await createServer(t.client, { hostname: "busy01" });
    const result = (await t.client.query(POWER("deleteServer"), { id: server.id })).deleteServer;
    expect(result).toMatchObject({ __typename: "ConflictError", state: "OPERATION_IN_FLIGHT" });
    expect(result.message).toMatch(/PROVISION/);
    expect((await waitForOperation(t.client, operation.id)).status).toBe("SUCCEEDED");
  });
});

describe("lists", () => {
  it("pages through servers with cursors and counts them", async () => {
    const other = await t.newAccount();
    for (let i = 0; i < 5; i++) await createServer(other, { hostname: `page0${i}` });
    const PAGE = `query($after: String) { servers(first: 2, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { hostname } } } }`;
    const names: string[] = [];
    let after: string | null = null;
    for (;;) {
      const { servers }: { servers: any } = await other.query(PAGE, { after });
      expect(servers.totalCount).toBe(5);
      names.push(...servers.edges.map((e: any) => e.node.hostname));
      if (!servers.pageInfo.hasNextPage) break;
      after = servers.pageInfo.endCursor;
    }
    expect(names).toEqual(["page00", "page01", "page02", "page03", "page04"]);
  });

  it("filters servers and lists the catalog", async () => {
    const other = await t.newAccount();
    await Promise.all(["wdc07", "wdc07", "dal10"].map((datacenter, i) => createServer(other, { hostname: `filter0${i}`, datacenter })));
    const data = await other.query(`{
      servers(first: 100, filter: { datacenter: "wdc07" }) { totalCount }
      datacenters { code name }
      operatingSystems { code minBootGb }
    }`);
    expect(data.servers.totalCount).toBe(2);
    expect(data.datacenters.map((d: any) => d.code)).toContain("dal10");
    expect(data.operatingSystems.map((o: any) => o.code)).toContain("UBUNTU_24_04_64");
  });

  it("refuses a page larger than the cap with an error naming the argument", async () => {
    const { body } = await t.client.raw(`{ servers(first: 1000) { totalCount } }`);
    expect(body.errors?.[0].extensions).toMatchObject({ code: "VALIDATION_FAILED", fields: [{ field: "first" }] });
  });

  it("lists operations newest first, filterable by kind", async () => {
    const server = await createActiveServer(t.client, { hostname: "oplist01" });
    const off = (await t.client.query(POWER("powerOffServer"), { id: server.id })).powerOffServer;
    await waitForOperation(t.client, off.operation.id);
    await createServer(t.client, { hostname: "oplist02" });
    const data = await t.client.query(`{ operations(first: 5, filter: { kind: [PROVISION] }) { totalCount edges { node { kind createdAt } } } }`);
    expect(data.operations.edges.length).toBeGreaterThanOrEqual(2);
    expect(data.operations.edges.every((e: any) => e.node.kind === "PROVISION")).toBe(true);
    const times = data.operations.edges.map((e: any) => e.node.createdAt);
    expect([...times].sort().reverse()).toEqual(times);
  });
});

