// Every bad input gets a typed error naming the field or the state, and changes nothing
// in the database or on disk.
import { readdirSync, existsSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "./helpers/app.ts";
import type { GraphQLClient } from "./helpers/clients.ts";
import { CREATE_SERVER, createActiveServer, ERROR_FIELDS, serverInput, waitForOperation } from "./helpers/documents.ts";

let t: TestApp;
let existing: { id: string; fqdn: string };

beforeAll(async () => {
  t = await startTestApp();
  existing = await createActiveServer(t.client, { hostname: "taken" });
});
afterAll(async () => {
  await t.stop();
});

async function worldState() {
  const db = t.app.domain.deps.db;
  const volumesDir = path.join(t.dataDir, "volumes");
  return {
    servers: await db.server.count(),
    volumes: await db.volume.count(),
    operations: await db.operation.count(),
    files: existsSync(volumesDir) ? readdirSync(volumesDir).sort() : [],
    existing: await db.server.findMany({ select: { id: true, status: true, powerState: true, activeOperationId: true } }),
  };
}

async function createExpectingError(client: GraphQLClient, overrides: Record<string, unknown>) {
  const before = await worldState();
  const data = await client.query(CREATE_SERVER, { input: serverInput(overrides) });
  expect(await worldState()).toEqual(before);
  return data.createServer;
}

describe("createServer refuses bad input with a ValidationError naming the field", () => {
  const cases: Array<[string, Record<string, unknown>, string]> = [
    ["an invalid hostname (RFC 1123)", { hostname: "-bad_host-" }, "hostname"],
    ["a hostname longer than 63 characters", { hostname: "a".repeat(64) }, "hostname"],
    ["an invalid domain", { domain: "not a domain" }, "domain"],
    ["cpu out of range", { cpu: 0 }, "cpu"],
    ["too many cpus", { cpu: 1000 }, "cpu"],
    ["memory out of range", { memoryMb: 12 }, "memoryMb"],
    ["an unknown datacenter", { datacenter: "mars01" }, "datacenter"],
    ["an unknown operating system", { os: "TEMPLEOS_5" }, "os"],
    ["no boot volume", { volumes: [{ role: "DATA", capacityGb: 10 }] }, "volumes"],
    ["no volumes at all", { volumes: [] }, "volumes"],
    ["two boot volumes", { volumes: [{ role: "BOOT", capacityGb: 25 }, { role: "BOOT", capacityGb: 25 }] }, "volumes"],
    ["capacity 0", { volumes: [{ role: "BOOT", capacityGb: 25 }, { role: "DATA", capacityGb: 0 }] }, "volumes[1].capacityGb"],
    ["an absurdly large capacity", { volumes: [{ role: "BOOT", capacityGb: 25 }, { role: "DATA", capacityGb: 1_000_000 }] }, "volumes[1].capacityGb"],
    ["a boot volume too small for the OS", { volumes: [{ role: "BOOT", capacityGb: 2 }] }, "volumes[0].capacityGb"],
    ["a duplicate fqdn in the account", { hostname: "taken" }, "hostname"],
  ];
  for (const [name, overrides, field] of cases) {
    it(`refuses ${name}`, async () => {
      const result = await createExpectingError(t.client, overrides);
      expect(result.__typename).toBe("ValidationError");
      expect(result.code).toBe("VALIDATION_FAILED");
      expect(result.fields.map((f: { field: string }) => f.field)).toContain(field);
      expect(result.message).toContain(field);
    });
  }

  it("names every bad field in one answer", async () => {
    const result = await createExpectingError(t.client, { hostname: "", cpu: -1, datacenter: "nowhere" });
    expect(result.fields.map((f: { field: string }) => f.field).sort()).toEqual(["cpu", "datacenter", "hostname"]);
  });

  it("allows the same fqdn in another account", async () => {
    const other = await t.newAccount();
    const data = await other.query(CREATE_SERVER, { input: serverInput({ hostname: "taken" }) });
    expect(data.createServer.__typename).toBe("CreateServerPayload");
    await waitForOperation(other, data.createServer.operation.id);
  });
});

const POWER_OFF = `mutation($id: ID!) { powerOffServer(input: { id: $id }) { __typename ${ERROR_FIELDS} } }`;

describe("IDs", () => {
  it("answers a malformed ID with a ValidationError naming the field, changing nothing", async () => {
    const before = await worldState();
    for (const id of ["garbage", "", "U2VydmVy", Buffer.from("Operation:op_1").toString("base64")]) {
      const result = (await t.client.query(POWER_OFF, { id })).powerOffServer;
      expect(result).toMatchObject({ __typename: "ValidationError", fields: [{ field: "id" }] });
    }
    expect(await worldState()).toEqual(before);
  });

  it("answers an unknown or foreign ID with NotFoundError, changing nothing", async () => {
    const before = await worldState();
    const stranger = await t.newAccount();
    const foreign = (await stranger.query(POWER_OFF, { id: existing.id })).powerOffServer;
    expect(foreign).toMatchObject({ __typename: "NotFoundError", code: "NOT_FOUND", field: "id" });
    const unknown = Buffer.from("Server:srv_000000000000ffffffffff").toString("base64");
    expect((await t.client.query(POWER_OFF, { id: unknown })).powerOffServer.__typename).toBe("NotFoundError");
    expect(await worldState()).toEqual(before);
  });
});

describe("state conflicts", () => {
  it("refuses to power on a running server, naming its state", async () => {
    const result = (await t.client.query(`mutation($id: ID!) { powerOnServer(input: { id: $id }) { __typename ${ERROR_FIELDS} } }`, { id: existing.id })).powerOnServer;
    expect(result).toMatchObject({ __typename: "ConflictError", state: "RUNNING" });
  });

  it("refuses to cancel a finished operation, naming its state", async () => {
    const { servers } = await t.client.query(`{ servers(first: 1) { edges { node { latestOperation { id status } } } } }`);
    const operation = servers.edges[0].node.latestOperation;
    expect(operation.status).toBe("SUCCEEDED");
    const result = (await t.client.query(`mutation($id: ID!) { cancelOperation(input: { id: $id }) { __typename ${ERROR_FIELDS} } }`, { id: operation.id })).cancelOperation;
    expect(result).toMatchObject({ __typename: "ConflictError", state: "SUCCEEDED" });
  });
});
