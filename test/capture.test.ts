// Capturing image templates over real HTTP, with real volume files and a real image store.
import { open } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import path from "node:path";
import { startTestApp, tempDataDir, type TestApp } from "./helpers/app.ts";
import { FaultyImageStore, Gate } from "./helpers/faults.ts";
import {
  CAPTURE,
  captureTemplate,
  createActiveServer,
  createServer,
  ERROR_FIELDS,
  OPERATION_PROGRESS,
  TEMPLATE,
  waitForOperation,
} from "./helpers/documents.ts";
import { isAllZero } from "../src/storage/chunk-codec.ts";
import { CodecPool } from "../src/storage/codec-pool.ts";
import { fileDigest, storeAudit, volumePaths } from "./helpers/store.ts";

/** Counts compressions: a chunk the store has must not be compressed again. */
class CountingCodecPool extends CodecPool {
  compressed = 0;
  override compress(data: Uint8Array) {
    this.compressed++;
    return super.compress(data);
  }
}

let t: TestApp;
let codec: CountingCodecPool;
let demo: { id: string; fqdn: string };
/** The first capture of demo01, and every event of its operation: what most tests look at. */
let first: any;
let firstStarted: any;
let firstEvents: any[];

/** A server like the demo ones: the OS on its boot volume, realistic data on its data volume. */
async function demoServer(hostname: string) {
  const viewer = await t.app.domain.deps.db.apiToken.findFirstOrThrow({ where: { tokenHash: { not: "" } }, include: { account: true } });
  const { server, operation } = await t.app.domain.servers.create(
    { accountId: viewer.accountId, tokenId: viewer.id, role: "ADMIN", expiresAt: null },
    {
      kind: "VIRTUAL", hostname, domain: "example.com", datacenter: "dal10", cpu: 2, memoryMb: 4096, os: "UBUNTU_24_04_64",
      volumes: [{ role: "BOOT", capacityGb: 4 }, { role: "DATA", capacityGb: 1 }, { role: "SWAP", capacityGb: 1 }],
    },
    { demoContent: true },
  );
  const globalOperationId = Buffer.from(`Operation:${operation.id}`).toString("base64");
  expect((await waitForOperation(t.client, globalOperationId)).status).toBe("SUCCEEDED");
  return { id: Buffer.from(`Server:${server.id}`).toString("base64"), fqdn: server.fqdn };
}

beforeAll(async () => {
  codec = new CountingCodecPool();
  t = await startTestApp({ ports: { codec } });
  demo = await demoServer("demo01");
  firstStarted = await capture({ serverId: demo.id, name: "demo01-base", note: "first capture" });
  firstEvents = (await t.client.sseSubscribe(OPERATION_PROGRESS, { id: firstStarted.operation.id }).done).map((e) => e.operationProgress);
  first = await template(firstStarted.imageTemplate.id);
});
afterAll(async () => {
  await t.stop();
});

async function capture(input: Record<string, unknown>) {
  return (await t.client.query(CAPTURE, { input })).captureImageTemplate;
}

async function template(id: string) {
  return (await t.client.query(TEMPLATE, { id })).node;
}

describe("captureImageTemplate", () => {
  it("halts the server while reading, brings it back RUNNING, and stores the exact bytes of every volume", async () => {
    const started = firstStarted;
    expect(started.__typename).toBe("CaptureImageTemplatePayload");
    expect(started.imageTemplate.status).toBe("CAPTURING");
    expect(started.imageTemplate.datacenters).toEqual(["dal10"]);

    const events = firstEvents;
    const reading = events.filter((e) => e.step.startsWith("capturing volume"));
    expect(reading.length).toBeGreaterThan(1);
    for (const e of reading) expect(e.server).toMatchObject({ status: "CAPTURING", powerState: "HALTED" });
    expect(new Set(reading.map((e) => e.step))).toEqual(new Set(["capturing volume 1 of 2", "capturing volume 2 of 2"]));
    const last = events.at(-1);
    expect(last.status).toBe("SUCCEEDED");
    expect(last.server).toMatchObject({ status: "ACTIVE", powerState: "RUNNING" });
    expect(last.bytesTotal).toBe(5 * 1024 ** 3);

    expect(first).toMatchObject({ status: "ACTIVE", kind: "STANDARD", note: "first capture", sourceServer: { id: demo.id } });
    expect(first.configuration).toEqual({
      kind: "VIRTUAL", os: "UBUNTU_24_04_64", cpu: 2, memoryMb: 4096, datacenter: "dal10",
      volumes: [
        { index: 0, role: "BOOT", capacityGb: 4, captured: true },
        { index: 1, role: "DATA", capacityGb: 1, captured: true },
        { index: 2, role: "SWAP", capacityGb: 1, captured: false },
      ],
    });
    expect(first.volumes.map((v: any) => v.index)).toEqual([0, 1]);

    // Each volume's digest is that of the volume file, as verify-volume computes it.
    const paths = await volumePaths(t, demo.id);
    for (const volume of first.volumes) expect(volume.digest).toBe(await fileDigest(paths.get(volume.index)!));

    // The manifest is also a JSON file in the store, with the same checksums.
    const manifest = (await t.app.domain.deps.store.getManifest(first.globalIdentifier)) as any;
    expect(manifest).toMatchObject({ formatVersion: 2, chunkSize: 4 * 1024 * 1024, volumeDigest: "imprint-volume-sha256-v1" });
    expect(manifest.volumes.map((v: any) => v.digest)).toEqual(first.volumes.map((v: any) => v.digest));
  });

  it("stores no zero chunks: only the data, compressed", async () => {
    const audit = await storeAudit(t);
    const manifest = (await t.app.domain.deps.store.getManifest(first.globalIdentifier)) as any;
    const dataChunks = [...new Set<string>(manifest.volumes.flatMap((v: any) => v.chunks.map(([, hash]: [number, string]) => hash)))];
    for (const hash of dataChunks) {
      expect(audit.files).toContain(hash);
      expect(isAllZero(await t.app.domain.deps.chunks.read(hash, "test"))).toBe(false);
    }
    // Every file in the store is a chunk some template uses: no zero chunk, nothing else.
    expect(audit.files).toEqual(audit.referenced);
    // Data is counted in whole non-zero chunks, within the 8 MiB of OS and 48 MiB of demo data.
    const chunkEntries = manifest.volumes.reduce((sum: number, v: any) => sum + v.chunks.length, 0);
    expect(first.sizeBytes).toBe(chunkEntries * 4 * 1024 * 1024);
    expect(first.sizeBytes).toBeLessThanOrEqual(56 * 1024 * 1024);
    expect(first.storedBytes).toBeGreaterThan(0);
    expect(first.storedBytes).toBeLessThan(first.sizeBytes);
    expect(first.sizeBytes).toBe(first.volumes.reduce((sum: number, v: any) => sum + v.sizeBytes, 0));
  });

  it("stores almost nothing for a second capture of the unchanged server, and about one chunk after a 4 MiB change", async () => {
    const accountBytes = async () => (await t.client.query(`{ viewer { storedBytes } }`)).viewer.storedBytes as number;
    const server = await demoServer("dedupe01");
    const base = await template((await captureTemplate(t.client, server.id, "dedupe01-base")).id);
    const before = await accountBytes();
    const compressedBefore = codec.compressed;
    const again = await template((await captureTemplate(t.client, server.id, "dedupe01-again")).id);
    // Named before compressing: chunks the store has are not compressed again.
    expect(codec.compressed).toBe(compressedBefore);
    // The template needs the same chunks; the account's store use does not grow.
    expect(again.storedBytes).toBe(base.storedBytes);
    expect(await accountBytes()).toBe(before);
    expect(again.volumes.map((v: any) => v.digest)).toEqual(base.volumes.map((v: any) => v.digest));

    const paths = await volumePaths(t, server.id);
    const file = await open(paths.get(1)!, "r+");
    await file.write(randomBytes(4 * 1024 * 1024), 0, 4 * 1024 * 1024, 64 * 1024 * 1024);
    await file.close();
    const chunksBefore = (await storeAudit(t)).files.length;
    const changed = await template((await captureTemplate(t.client, server.id, "dedupe01-changed")).id);
    expect((await storeAudit(t)).files.length).toBe(chunksBefore + 1);
    expect(codec.compressed).toBe(compressedBefore + 1);
    const added = (await accountBytes()) - before;
    expect(added).toBeGreaterThan(4 * 1024 * 1024 * 0.99); // random bytes do not compress
    expect(added).toBeLessThan(4 * 1024 * 1024 * 1.01);
    expect(changed.volumes[0].digest).toBe(base.volumes[0].digest);
    expect(changed.volumes[1].digest).not.toBe(base.volumes[1].digest);
  });

  it("reports what a template needs, not what the shared store happened to add: another account's first capture of the same bytes", async () => {
    const stranger = await t.newAccount();
    const server = await createActiveServer(stranger, { hostname: "demo01" });
    const own = await createActiveServer(t.client, { hostname: "twin01" });
    // The stranger's boot volume holds the same OS image as this account's twin01.
    const theirs = await captureTemplate(stranger, server.id, "theirs");
    const mine = await captureTemplate(t.client, own.id, "mine");
    const [a, b] = [(await stranger.query(TEMPLATE, { id: theirs.id })).node, await template(mine.id)];
    const db = t.app.domain.deps.db;
    const needs = async (globalIdentifier: string) => {
      const manifest = (await t.app.domain.deps.store.getManifest(globalIdentifier)) as any;
      const hashes = [...new Set<string>(manifest.volumes.flatMap((v: any) => v.chunks.map(([, hash]: [number, string]) => hash)))];
      const rows = await db.chunk.findMany({ where: { hash: { in: hashes } } });
      return { hashes, bytes: rows.reduce((sum, row) => sum + row.storedBytes, 0) };
    };
    const [theirsNeeds, mineNeeds] = [await needs(theirs.globalIdentifier), await needs(mine.globalIdentifier)];
    // The two share the OS chunks the stranger stored first ...
    expect(mineNeeds.hashes.filter((hash) => theirsNeeds.hashes.includes(hash)).length).toBeGreaterThan(0);
    // ... and each reports every chunk it needs, so mine does not reveal what theirs holds.
    expect(a.storedBytes).toBe(theirsNeeds.bytes);
    expect(b.storedBytes).toBe(mineNeeds.bytes);
    expect((await stranger.query(`{ viewer { storedBytes } }`)).viewer.storedBytes).toBe(theirsNeeds.bytes);
  });

  it("keeps a halted server halted", async () => {
    const server = await createActiveServer(t.client, { hostname: "halted01" });
    const off = await t.client.query(`mutation($id: ID!) { powerOffServer(input: { id: $id }) { ... on PowerOffServerPayload { operation { id } } } }`, { id: server.id });
    await waitForOperation(t.client, off.powerOffServer.operation.id);
    const started = await capture({ serverId: server.id, name: "halted01-image" });
    const final = await waitForOperation(t.client, started.operation.id);
    expect(final.status).toBe("SUCCEEDED");
    expect(final.server).toMatchObject({ status: "ACTIVE", powerState: "HALTED" });
  });

  it("lets one of two captures of a server fired at once win; the other is a ConflictError", async () => {
    const [a, b] = await Promise.all([
      capture({ serverId: demo.id, name: "race-a" }),
      capture({ serverId: demo.id, name: "race-b" }),
    ]);
    const results = [a, b];
    expect(results.filter((r) => r.__typename === "CaptureImageTemplatePayload")).toHaveLength(1);
    const loser = results.find((r) => r.__typename === "ConflictError");
    expect(loser.state).toBe("OPERATION_IN_FLIGHT");
    const winner = results.find((r) => r.__typename === "CaptureImageTemplatePayload");
    await waitForOperation(t.client, winner.operation.id);
    const { imageTemplates } = await t.client.query(`{ imageTemplates(filter: { nameContains: "race-" }) { totalCount } }`);
    expect(imageTemplates.totalCount).toBe(1);
  });
});

describe("captureImageTemplate refuses bad input and changes nothing", () => {
  async function snapshot() {
    const db = t.app.domain.deps.db;
    return {
      templates: await db.imageTemplate.count(),
      operations: await db.operation.count(),
      chunks: (await storeAudit(t)).files.length,
      servers: await db.server.findMany({ select: { id: true, status: true, powerState: true, activeOperationId: true } }),
    };
  }

  it("bare metal: IncompatibleServerError", async () => {
    const metal = await createActiveServer(t.client, { hostname: "metal01", kind: "BARE_METAL", os: "ROCKYLINUX_9_64", volumes: [{ role: "BOOT", capacityGb: 10 }] });
    const before = await snapshot();
    const result = await capture({ serverId: metal.id, name: "metal-image" });
    expect(result).toMatchObject({ __typename: "IncompatibleServerError", code: "INCOMPATIBLE_SERVER", serverKind: "BARE_METAL" });
    expect(await snapshot()).toEqual(before);
  });

  const invalid: Array<[string, Record<string, unknown>, string]> = [
    ["a swap volume", { volumeIndexes: [2] }, "volumeIndexes[0]"],
    ["an unknown volume index", { volumeIndexes: [0, 7] }, "volumeIndexes[1]"],
    ["an empty volume list", { volumeIndexes: [] }, "volumeIndexes"],
    ["an empty name", { name: "  " }, "name"],
    ["a name used by another template", { name: "demo01-base" }, "name"],
    ["a malformed server ID", { serverId: "nope" }, "serverId"],
  ];
  for (const [what, overrides, field] of invalid) {
    it(`${what}: ValidationError naming ${field}`, async () => {
      const before = await snapshot();
      const result = await capture({ serverId: demo.id, name: `bad-${Math.random()}`, ...overrides });
      expect(result.__typename).toBe("ValidationError");
      expect(result.fields.map((f: any) => f.field)).toContain(field);
      expect(await snapshot()).toEqual(before);
    });
  }

  it("another account's server: NotFoundError naming serverId", async () => {
    const stranger = await t.newAccount();
    const before = await snapshot();
    const result = (await stranger.query(CAPTURE, { input: { serverId: demo.id, name: "stolen" } })).captureImageTemplate;
    expect(result).toMatchObject({ __typename: "NotFoundError", field: "serverId" });
    expect(await snapshot()).toEqual(before);
  });

  it("a server that is not ACTIVE: ConflictError naming its state", async () => {
    const { server, operation } = await createServer(t.client, { hostname: "provisioning01" });
    const result = await capture({ serverId: server.id, name: "too-early" });
    expect(result.__typename).toBe("ConflictError");
    await waitForOperation(t.client, operation.id);
    const failed = await createServer(t.client, { hostname: "failed01" });
    await t.client.query(`mutation($id: ID!) { cancelOperation(input: { id: $id }) { __typename } }`, { id: failed.operation.id });
    await waitForOperation(t.client, failed.operation.id);
    const refused = await capture({ serverId: failed.server.id, name: "from-failed" });
    expect(refused).toMatchObject({ __typename: "ConflictError", state: "FAILED" });
  });
});

describe("cancel and delete", () => {
  it("cancelled mid-capture: template FAILED, no orphan chunks, server restored", async () => {
    // Its own app, whose store holds the capture at its second chunk write until the cancel is in.
    const gate = new Gate();
    const dataDir = tempDataDir();
    const own = await startTestApp({ dataDir, ports: { store: new FaultyImageStore(path.join(dataDir, "store"), { pauseAtPut: { nth: 2, gate } }) } });
    try {
      const server = await createActiveServer(own.client, { hostname: "cancel01" });
      const started = (await own.client.query(CAPTURE, { input: { serverId: server.id, name: "cancel01-image" } })).captureImageTemplate;
      const followed = own.client.sseSubscribe(OPERATION_PROGRESS, { id: started.operation.id }).done;
      await gate.reached;
      const cancel = (await own.client.query(`mutation($id: ID!) { cancelOperation(input: { id: $id }) { __typename } }`, { id: started.operation.id })).cancelOperation;
      expect(cancel.__typename).toBe("CancelOperationPayload");
      gate.release();
      const last = (await followed).at(-1).operationProgress;
      expect(last.status).toBe("CANCELLED");
      expect(last.server).toMatchObject({ status: "ACTIVE", powerState: "RUNNING" });
      expect((await own.client.query(TEMPLATE, { id: started.imageTemplate.id })).node.status).toBe("FAILED");
      const audit = await storeAudit(own);
      expect(audit.files).toEqual([]);
      expect(audit.rows).toEqual([]);
    } finally {
      await own.stop();
    }
  });

  it("updates name and note, and deletes a template, freeing only the chunks no other template uses", async () => {
    const server = await createActiveServer(t.client, { hostname: "rename01" });
    const kept = await captureTemplate(t.client, server.id, "rename01-v1");
    const renamed = await t.client.query(
      `mutation($input: UpdateImageTemplateInput!) { updateImageTemplate(input: $input) { __typename ... on UpdateImageTemplatePayload { imageTemplate { name note } } ${ERROR_FIELDS} } }`,
      { input: { id: kept.id, name: "rename01-v2", note: "renamed" } },
    );
    expect(renamed.updateImageTemplate.imageTemplate).toEqual({ name: "rename01-v2", note: "renamed" });
    const clash = await t.client.query(
      `mutation($input: UpdateImageTemplateInput!) { updateImageTemplate(input: $input) { __typename ${ERROR_FIELDS} } }`,
      { input: { id: kept.id, name: "demo01-base" } },
    );
    expect(clash.updateImageTemplate).toMatchObject({ __typename: "ValidationError", fields: [{ field: "name" }] });

    // A template with one chunk of its own: delete it, and exactly that chunk goes.
    const paths = await volumePaths(t, server.id);
    const file = await open(paths.get(1)!, "r+");
    await file.write(randomBytes(4 * 1024 * 1024), 0, 4 * 1024 * 1024, 128 * 1024 * 1024);
    await file.close();
    const own = await captureTemplate(t.client, server.id, "rename01-own-chunk");
    const before = await storeAudit(t);
    const deleted = await t.client.query(
      `mutation($id: ID!) { deleteImageTemplate(input: { id: $id }) { __typename ... on DeleteImageTemplatePayload { imageTemplate { status } operation { id } } ${ERROR_FIELDS} } }`,
      { id: own.id },
    );
    expect(deleted.deleteImageTemplate.imageTemplate.status).toBe("DELETING");
    expect((await waitForOperation(t.client, deleted.deleteImageTemplate.operation.id)).status).toBe("SUCCEEDED");
    const after = await storeAudit(t);
    // Only the one chunk the change added is gone: the others are shared with rename01-v2.
    expect(after.files.length).toBe(before.files.length - 1);
    expect(after.files).toEqual(after.referenced);
    expect((await t.client.query(`query($id: ID!) { node(id: $id) { id } }`, { id: own.id })).node).toBeNull();
    expect(await t.app.domain.deps.store.getManifest(own.globalIdentifier)).toBeNull();
    // Deleting it again: it is gone.
    const again = await t.client.query(`mutation($id: ID!) { deleteImageTemplate(input: { id: $id }) { __typename } }`, { id: own.id });
    expect(again.deleteImageTemplate.__typename).toBe("NotFoundError");
  });

  it("cancelling a queued deletion gives the template back as it was", async () => {
    const server = await createActiveServer(t.client, { hostname: "keep01" });
    const kept = await captureTemplate(t.client, server.id, "keep01-image");
    await t.app.domain.runner.stop();
    const deleted = (await t.client.query(`mutation($id: ID!) { deleteImageTemplate(input: { id: $id }) { ... on DeleteImageTemplatePayload { imageTemplate { status } operation { id } } } }`, { id: kept.id })).deleteImageTemplate;
    expect(deleted.imageTemplate.status).toBe("DELETING");
    const cancelled = (await t.client.query(`mutation($id: ID!) { cancelOperation(input: { id: $id }) { ... on CancelOperationPayload { operation { status } } } }`, { id: deleted.operation.id })).cancelOperation;
    await t.app.domain.runner.start();
    expect(cancelled.operation.status).toBe("CANCELLED");
    expect((await template(kept.id)).status).toBe("ACTIVE");
    expect(await t.app.domain.deps.store.getManifest(kept.globalIdentifier)).not.toBeNull();
  });

  it("lists a server's templates and filters templates by datacenter", async () => {
    const data = await t.client.query(`query($id: ID!) {
      node(id: $id) { ... on Server { imageTemplates { totalCount edges { node { name } } } } }
      elsewhere: imageTemplates(filter: { datacenter: "fra02" }) { totalCount }
    }`, { id: demo.id });
    expect(data.node.imageTemplates.edges.map((e: any) => e.node.name)).toContain("demo01-base");
    expect(data.elsewhere.totalCount).toBe(0);
  });
});

