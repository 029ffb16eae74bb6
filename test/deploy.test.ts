// Deploying and reloading servers from image templates, byte for byte.
import { open, stat } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "./helpers/app.ts";
import {
  captureTemplate,
  createActiveServer,
  DEPLOY,
  ERROR_FIELDS,
  OPERATION_PROGRESS,
  TEMPLATE,
  waitForOperation,
} from "./helpers/documents.ts";
import { fileDigest, prefixDigest, rawId, volumePaths } from "./helpers/store.ts";

const GIB = 1024 ** 3;
let t: TestApp;
let source: { id: string; fqdn: string };
let template: { id: string; globalIdentifier: string; name: string };
let captured: any;
let sourceChecksums: Map<number, string>;

beforeAll(async () => {
  t = await startTestApp();
  source = await createActiveServer(t.client, {
    hostname: "golden01", os: "DEBIAN_12_64",
    volumes: [{ role: "BOOT", capacityGb: 2 }, { role: "DATA", capacityGb: 1 }],
  });
  // Some data on the data volume, as a user would have written.
  const paths = await volumePaths(t, source.id);
  const file = await open(paths.get(1)!, "r+");
  await file.write(Buffer.from("customer data ".repeat(100_000)), 0, undefined, 16 * 1024 * 1024);
  await file.write(randomBytes(3 * 1024 * 1024), 0, undefined, 200 * 1024 * 1024);
  await file.close();
  sourceChecksums = new Map();
  for (const [index, path] of paths) sourceChecksums.set(index, await fileDigest(path));
  template = await captureTemplate(t.client, source.id, "golden");
  captured = (await t.client.query(TEMPLATE, { id: template.id })).node;
});
afterAll(async () => {
  await t.stop();
});

async function deploy(input: Record<string, unknown>) {
  return (await t.client.query(DEPLOY, { input: { imageTemplateId: template.id, domain: "example.com", ...input } })).deployImageTemplate;
}

/** Rows and volume files: a refused deploy or reload changes none of them (not a byte: mtimes stay). */
async function worldState() {
  const db = t.app.domain.deps.db;
  const volumesDir = path.join(t.dataDir, "volumes");
  const files = existsSync(volumesDir) ? readdirSync(volumesDir).sort() : [];
  return {
    servers: await db.server.count(),
    volumes: await db.volume.count(),
    operations: await db.operation.count(),
    files: await Promise.all(files.map(async (name) => {
      const info = await stat(path.join(volumesDir, name));
      return `${name} ${info.size} ${info.mtimeMs}`;
    })),
  };
}

describe("deployImageTemplate", () => {
  it("restores every volume byte for byte, configures the new host, and leaves the source untouched", async () => {
    const result = await deploy({ hostname: "clone01", userData: "#cloud-config\npackages: [nginx]\n" });
    expect(result.__typename).toBe("DeployImageTemplatePayload");
    expect(result.server).toMatchObject({ status: "PROVISIONING", datacenter: "dal10" });
    expect(result.server.volumes).toEqual([
      { index: 0, role: "BOOT", capacityGb: 2 },
      { index: 1, role: "DATA", capacityGb: 1 },
    ]);
    const events = (await t.client.sseSubscribe(OPERATION_PROGRESS, { id: result.operation.id }).done).map((e) => e.operationProgress);
    const steps = [...new Set(events.map((e) => e.step))];
    expect(steps).toEqual(expect.arrayContaining(["restoring volume 1 of 2", "restoring volume 2 of 2", "adjusting volumes", "configuring the host", "powering on"]));
    expect(events.at(-1)).toMatchObject({ status: "SUCCEEDED", server: { status: "ACTIVE", powerState: "RUNNING" } });

    const paths = await volumePaths(t, result.server.id);
    for (const volume of captured.volumes) {
      const checksum = await fileDigest(paths.get(volume.index)!);
      expect(checksum).toBe(volume.digest);
      expect(checksum).toBe(sourceChecksums.get(volume.index));
    }
    // Holes stay holes: the restored boot volume is as sparse as the source.
    const restored = await stat(paths.get(0)!);
    expect(restored.blocks * 512).toBeLessThan(64 * 1024 * 1024);

    const { node } = await t.client.query(`query($id: ID!) { node(id: $id) { ... on Server { fqdn network { privateIpv4 publicIpv4 macAddress } sourceImageTemplate { id } configDrive { metaData networkConfig userData } } } }`, { id: result.server.id });
    expect(node.sourceImageTemplate.id).toBe(template.id);
    expect(node.configDrive.metaData).toContain(`instance-id: ${rawId(result.server.id)}`);
    expect(node.configDrive.metaData).toContain("local-hostname: clone01");
    expect(node.configDrive.networkConfig).toContain("version: 2");
    expect(node.configDrive.networkConfig).toContain(`${node.network.privateIpv4}/16`);
    expect(node.configDrive.networkConfig).toContain(`${node.network.publicIpv4}/16`);
    expect(node.configDrive.networkConfig).toContain(node.network.macAddress);
    expect(node.configDrive.userData).toContain("nginx");

    const sourcePaths = await volumePaths(t, source.id);
    for (const [index, path] of sourcePaths) expect(await fileDigest(path)).toBe(sourceChecksums.get(index));
    const sourceNow = (await t.client.query(`query($id: ID!) { node(id: $id) { ... on Server { status powerState } } }`, { id: source.id })).node;
    expect(sourceNow).toEqual({ status: "ACTIVE", powerState: "RUNNING" });
  });

  it("grows a larger volume sparsely, with the captured bytes as its prefix", async () => {
    const result = await deploy({ hostname: "bigger01", volumes: [{ index: 1, capacityGb: 50 }] });
    expect((await waitForOperation(t.client, result.operation.id)).status).toBe("SUCCEEDED");
    const paths = await volumePaths(t, result.server.id);
    const grown = await stat(paths.get(1)!);
    expect(grown.size).toBe(50 * GIB);
    expect(grown.blocks * 512).toBeLessThan(32 * 1024 * 1024);
    expect(await prefixDigest(paths.get(1)!, GIB)).toBe(captured.volumes[1].digest);
  });

  it("refuses a smaller volume, naming it, and creates nothing", async () => {
    const before = await worldState();
    const result = await deploy({ hostname: "smaller01", volumes: [{ index: 0, capacityGb: 1 }] });
    expect(result).toMatchObject({ __typename: "ValidationError", fields: [{ field: "volumes[0].capacityGb" }] });
    expect(result.fields[0].message).toMatch(/volume 0/);
    expect(await worldState()).toEqual(before);
  });

  it("deploys 10 servers at once, all with their own hostnames, addresses and MACs", async () => {
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => deploy({ hostname: `fleet${i}` })));
    expect(results.every((r) => r.__typename === "DeployImageTemplatePayload")).toBe(true);
    const finals = await Promise.all(results.map((r) => waitForOperation(t.client, r.operation.id)));
    expect(finals.map((f) => f.status)).toEqual(Array(10).fill("SUCCEEDED"));
    const networks = results.map((r) => r.server.network);
    for (const key of ["privateIpv4", "publicIpv4", "macAddress"]) expect(new Set(networks.map((n) => n[key])).size).toBe(10);
    expect(new Set(results.map((r) => r.server.fqdn)).size).toBe(10);
  });

  it("refuses bare metal, a template that is not ACTIVE, and a datacenter where the template is not", async () => {
    const before = await worldState();
    expect(await deploy({ hostname: "metal02", kind: "BARE_METAL" })).toMatchObject({ __typename: "IncompatibleServerError", serverKind: "BARE_METAL" });
    const elsewhere = await deploy({ hostname: "far01", datacenter: "wdc07" });
    expect(elsewhere).toMatchObject({ __typename: "ValidationError", fields: [{ field: "datacenter" }] });
    expect(elsewhere.message).toMatch(/wdc07/);
    expect(await deploy({ hostname: "Bad_Host" })).toMatchObject({ __typename: "ValidationError", fields: [{ field: "hostname" }] });
    // The source server's own name in the same domain is taken.
    expect(await deploy({ hostname: "golden01" })).toMatchObject({ __typename: "ValidationError", fields: [{ field: "hostname" }] });
    expect(await worldState()).toEqual(before);

    const server = await createActiveServer(t.client, { hostname: "capturing01", os: "DEBIAN_12_64", volumes: [{ role: "BOOT", capacityGb: 2 }] });
    const capturing = (await t.client.query(`mutation($input: CaptureImageTemplateInput!) { captureImageTemplate(input: $input) { ... on CaptureImageTemplatePayload { imageTemplate { id } operation { id } } } }`, { input: { serverId: server.id, name: "in-progress" } })).captureImageTemplate;
    const refused = (await t.client.query(DEPLOY, { input: { imageTemplateId: capturing.imageTemplate.id, hostname: "early01", domain: "example.com" } })).deployImageTemplate;
    expect(refused).toMatchObject({ __typename: "ConflictError", state: "CAPTURING" });
    await waitForOperation(t.client, capturing.operation.id);
  });

  it("deploys to another datacenter once the template is made available there", async () => {
    const added = (await t.client.query(`mutation($input: AddImageTemplateDatacentersInput!) { addImageTemplateDatacenters(input: $input) { __typename ... on AddImageTemplateDatacentersPayload { operation { id } } ${ERROR_FIELDS} } }`, { input: { id: template.id, datacenters: ["tok05"] } })).addImageTemplateDatacenters;
    expect((await waitForOperation(t.client, added.operation.id)).status).toBe("SUCCEEDED");
    const bad = (await t.client.query(`mutation($input: AddImageTemplateDatacentersInput!) { addImageTemplateDatacenters(input: $input) { __typename ${ERROR_FIELDS} } }`, { input: { id: template.id, datacenters: ["atlantis"] } })).addImageTemplateDatacenters;
    expect(bad).toMatchObject({ __typename: "ValidationError", fields: [{ field: "datacenters[0]" }] });
    const result = await deploy({ hostname: "far02", datacenter: "tok05" });
    expect(result.server.network.privateIpv4).toMatch(/^10\.40\./);
    expect((await waitForOperation(t.client, result.operation.id)).status).toBe("SUCCEEDED");
    const { node } = await t.client.query(TEMPLATE, { id: template.id });
    expect(node.datacenters).toEqual(["dal10", "tok05"]);
  });

  it("fails with an integrity error naming the template when a chunk is corrupted, and leaves no server ACTIVE", async () => {
    const victim = await createActiveServer(t.client, { hostname: "victim01", os: "DEBIAN_12_64", volumes: [{ role: "BOOT", capacityGb: 2 }] });
    const paths = await volumePaths(t, victim.id);
    const file = await open(paths.get(0)!, "r+");
    await file.write(randomBytes(4 * 1024 * 1024), 0, undefined, 512 * 1024 * 1024);
    await file.close();
    const fragile = await captureTemplate(t.client, victim.id, "fragile");
    const manifest = (await t.app.domain.deps.store.getManifest(fragile.globalIdentifier)) as any;
    const [, hash] = manifest.volumes[0].chunks.find(([index]: [number, string]) => index === 128);
    await t.app.domain.deps.store.putChunk(hash, randomBytes(1000));

    const result = (await t.client.query(DEPLOY, { input: { imageTemplateId: fragile.id, hostname: "broken01", domain: "example.com" } })).deployImageTemplate;
    const final = await waitForOperation(t.client, result.operation.id);
    expect(final.status).toBe("FAILED");
    expect(final.error.code).toBe("INTEGRITY");
    expect(final.error.message).toContain('"fragile"');
    expect(final.server).toMatchObject({ status: "FAILED" });
    const files = await volumePaths(t, result.server.id);
    for (const path of files.values()) await expect(stat(path)).rejects.toThrow(/ENOENT/);
  });
});

describe("reloadServer", () => {
  it("replaces the data and keeps identity and network", async () => {
    const target = await createActiveServer(t.client, { hostname: "reload01", os: "DEBIAN_12_64", volumes: [{ role: "BOOT", capacityGb: 4 }, { role: "DATA", capacityGb: 2 }] });
    const before = (await t.client.query(`query($id: ID!) { node(id: $id) { ... on Server { fqdn network { privateIpv4 publicIpv4 macAddress } } } }`, { id: target.id })).node;
    const result = (await t.client.query(`mutation($input: ReloadServerInput!) { reloadServer(input: $input) { __typename ... on ReloadServerPayload { server { status } operation { id } } ${ERROR_FIELDS} } }`, { input: { serverId: target.id, imageTemplateId: template.id } })).reloadServer;
    expect(result.server.status).toBe("RELOADING");
    const final = await waitForOperation(t.client, result.operation.id);
    expect(final).toMatchObject({ status: "SUCCEEDED", server: { status: "ACTIVE", powerState: "RUNNING" } });
    const after = (await t.client.query(`query($id: ID!) { node(id: $id) { ... on Server { fqdn network { privateIpv4 publicIpv4 macAddress } sourceImageTemplate { id } volumes { capacityGb } } } }`, { id: target.id })).node;
    expect({ fqdn: after.fqdn, network: after.network }).toEqual(before);
    expect(after.sourceImageTemplate.id).toBe(template.id);
    expect(after.volumes.map((v: any) => v.capacityGb)).toEqual([4, 2]);
    const paths = await volumePaths(t, target.id);
    expect(await prefixDigest(paths.get(0)!, 2 * GIB)).toBe(captured.volumes[0].digest);
    expect(await prefixDigest(paths.get(1)!, GIB)).toBe(captured.volumes[1].digest);
    expect((await stat(paths.get(0)!)).size).toBe(4 * GIB);
  });

  it("refuses volumes that are too small, bare metal, and changes nothing", async () => {
    const small = await createActiveServer(t.client, { hostname: "small01", os: "DEBIAN_12_64", volumes: [{ role: "BOOT", capacityGb: 2 }] });
    const RELOAD = `mutation($input: ReloadServerInput!) { reloadServer(input: $input) { __typename ... on IncompatibleServerError { serverKind } ${ERROR_FIELDS} } }`;
    const before = await worldState();
    const refused = (await t.client.query(RELOAD, { input: { serverId: small.id, imageTemplateId: template.id } })).reloadServer;
    expect(refused).toMatchObject({ __typename: "ValidationError", fields: [{ field: "serverId" }] });
    const metal = await createActiveServer(t.client, { hostname: "metal03", kind: "BARE_METAL", os: "ROCKYLINUX_9_64", volumes: [{ role: "BOOT", capacityGb: 10 }] });
    const before2 = await worldState();
    expect((await t.client.query(RELOAD, { input: { serverId: metal.id, imageTemplateId: template.id } })).reloadServer).toMatchObject({ __typename: "IncompatibleServerError" });
    expect(await worldState()).toEqual(before2);
    expect(before.operations).toBeLessThan(before2.operations);
  });
});

describe("template deletion and deployments", () => {
  it("refuses to delete a template while a deploy from it is in flight; deployed servers outlive it", async () => {
    const origin = await createActiveServer(t.client, { hostname: "short01", os: "DEBIAN_12_64", volumes: [{ role: "BOOT", capacityGb: 2 }] });
    const doomed = await captureTemplate(t.client, origin.id, "short-lived");
    await t.app.domain.runner.stop();
    const queued = (await t.client.query(DEPLOY, { input: { imageTemplateId: doomed.id, hostname: "late01", domain: "example.com" } })).deployImageTemplate;
    const DELETE = `mutation($id: ID!) { deleteImageTemplate(input: { id: $id }) { __typename ... on DeleteImageTemplatePayload { operation { id } } ${ERROR_FIELDS} } }`;
    const refused = (await t.client.query(DELETE, { id: doomed.id })).deleteImageTemplate;
    expect(refused).toMatchObject({ __typename: "ConflictError", state: "DEPLOYMENTS_IN_FLIGHT" });
    await t.app.domain.runner.start();
    expect((await waitForOperation(t.client, queued.operation.id)).status).toBe("SUCCEEDED");

    const { node } = await t.client.query(`query($id: ID!) { node(id: $id) { ... on ImageTemplate { deployments(first: 100) { totalCount edges { node { id } } } } } }`, { id: doomed.id });
    expect(node.deployments.edges.map((e: any) => e.node.id)).toEqual([queued.server.id]);

    const deleted = (await t.client.query(DELETE, { id: doomed.id })).deleteImageTemplate;
    expect((await waitForOperation(t.client, deleted.operation.id)).status).toBe("SUCCEEDED");
    const survivor = (await t.client.query(`query($id: ID!) { node(id: $id) { ... on Server { status powerState sourceImageTemplate { id } } } }`, { id: queued.server.id })).node;
    expect(survivor).toEqual({ status: "ACTIVE", powerState: "RUNNING", sourceImageTemplate: null });
    const off = (await t.client.query(`mutation($id: ID!) { powerOffServer(input: { id: $id }) { ... on PowerOffServerPayload { operation { id } } } }`, { id: queued.server.id })).powerOffServer;
    expect((await waitForOperation(t.client, off.operation.id)).status).toBe("SUCCEEDED");
  });
});
