// A store per datacenter: dal10 on the default (local) store, fra02 on S3 (the run's Swift,
// through a counting HTTP hop). A capture in dal10 writes only there; the template is not
// deployable in fra02 until it is copied; the copy puts the chunks and the manifest into the
// bucket, and a deploy in fra02 restores the same bytes from it. A second template that shares
// most chunks copies only the ones the bucket lacks. Removing a location collects what no other
// template needs in that store; deleting the template empties it.
import { createHash } from "node:crypto";
import { open } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { S3ImageStore } from "../src/storage/s3-image-store.ts";
import { startTestApp, type TestApp } from "./helpers/app.ts";
import { captureTemplate, DEPLOY, ERROR_FIELDS, waitForOperation } from "./helpers/documents.ts";
import { MIB, serverWithData, VERIFY } from "./helpers/fault-fixtures.ts";
import { S3FaultProxy } from "./helpers/s3-fault-proxy.ts";
import { fileDigest, rawId, volumePaths } from "./helpers/store.ts";
import { newS3Location, s3Endpoint, s3Env, s3Options, swiftUnavailable } from "./helpers/swift.ts";

const SKIP = s3Endpoint ? null : (swiftUnavailable() ?? "no TEST_S3_ENDPOINT");
const ADD = `mutation($input: AddImageTemplateDatacentersInput!) { addImageTemplateDatacenters(input: $input) { __typename ... on AddImageTemplateDatacentersPayload { operation { id } } ${ERROR_FIELDS} } }`;
const REMOVE = `mutation($input: RemoveImageTemplateDatacentersInput!) { removeImageTemplateDatacenters(input: $input) { __typename ${ERROR_FIELDS} } }`;
const DELETE_TEMPLATE = `mutation($id: ID!) { deleteImageTemplate(input: { id: $id }) { ... on DeleteImageTemplatePayload { operation { id } } } }`;

describe.skipIf(SKIP !== null)(`a store per datacenter${SKIP ? ` (skipped: ${SKIP})` : ""}`, () => {
  let t: TestApp;
  let proxy: S3FaultProxy;
  let bucket: S3ImageStore;
  beforeAll(async () => {
    proxy = await new S3FaultProxy(s3Endpoint!).start();
    const location = newS3Location("fra02");
    t = await startTestApp({ env: { IMPRINT_STORE_FRA02: location, ...s3Env(proxy.url) } });
    bucket = new S3ImageStore(location, { attempts: 3, timeoutMs: 10_000, ...s3Options() });
  });
  afterAll(async () => {
    await bucket?.close();
    await t?.stop();
    await proxy?.stop();
  });

  const chunksOf = async (templateId: string) =>
    new Set((await t.app.domain.deps.db.templateVolume.findMany({ where: { templateId: rawId(templateId) } })).flatMap((volume) => (JSON.parse(volume.chunks) as Array<[number, string]>).map(([, hash]) => hash)));
  const deployInto = async (templateId: string, datacenter: string, hostname: string) =>
    (await t.client.query(DEPLOY, { input: { imageTemplateId: templateId, hostname, domain: "example.com", datacenter } })).deployImageTemplate;
  const copy = async (templateId: string) => {
    const added = (await t.client.query(ADD, { input: { id: templateId, datacenters: ["fra02"] } })).addImageTemplateDatacenters;
    expect(await waitForOperation(t.client, added.operation.id)).toMatchObject({ status: "SUCCEEDED" });
  };

  it("copies a template's chunks into another datacenter's store, deploys there from them, copies only what is missing, and collects on removal", async () => {
    const source = await serverWithData(t, t.client, "dcsrc01", 16);
    const first = await captureTemplate(t.client, source.id, "dc-first");
    const firstChunks = await chunksOf(first.id);
    expect(await bucket.listChunks()).toEqual([]);
    expect(await deployInto(first.id, "fra02", "early01")).toMatchObject({ __typename: "ValidationError", fields: [{ field: "datacenter" }] });

    const putsBefore = proxy.puts;
    await copy(first.id);
    expect(new Set(await bucket.listChunks())).toEqual(firstChunks);
    expect(proxy.puts - putsBefore).toBe(firstChunks.size + 1); // the chunks, then the manifest
    expect(await bucket.getManifest(first.globalIdentifier)).toMatchObject({ globalIdentifier: first.globalIdentifier });
    const sized = (await t.client.query(`query($id: ID!) { node(id: $id) { ... on ImageTemplate { storedBytes locations { datacenter status storedBytes } } } }`, { id: first.id })).node;
    expect(sized.storedBytes).toBeGreaterThan(0);
    expect(sized.locations).toEqual([
      { datacenter: "dal10", status: "AVAILABLE", storedBytes: sized.storedBytes },
      { datacenter: "fra02", status: "AVAILABLE", storedBytes: sized.storedBytes },
    ]);

    const requestsBeforeDeploy = proxy.requests;
    const deployed = await deployInto(first.id, "fra02", "there01");
    expect(await waitForOperation(t.client, deployed.operation.id)).toMatchObject({ status: "SUCCEEDED" });
    // Read from the bucket: a GET per chunk at least.
    expect(proxy.requests - requestsBeforeDeploy).toBeGreaterThanOrEqual(firstChunks.size);
    const [from, to] = [await volumePaths(t, source.id), await volumePaths(t, deployed.server.id)];
    expect(await fileDigest(to.get(1)!)).toBe(await fileDigest(from.get(1)!));

    // One 4 MiB chunk of data changed: the second template shares every other chunk.
    const volume = await open(from.get(1)!, "r+");
    await volume.write(createHash("sha256").update("changed").digest().toString("hex").repeat(MIB / 16), 0, "latin1");
    await volume.close();
    const second = await captureTemplate(t.client, source.id, "dc-second");
    const secondChunks = await chunksOf(second.id);
    const missing = [...secondChunks].filter((hash) => !firstChunks.has(hash));
    expect(missing.length).toBeGreaterThan(0);
    expect(missing.length).toBeLessThan(secondChunks.size);
    const putsBeforeSecond = proxy.puts;
    await copy(second.id);
    expect(proxy.puts - putsBeforeSecond).toBe(missing.length + 1);
    const verify = (await t.client.query(VERIFY, { id: second.id })).verifyImageTemplate;
    expect(await waitForOperation(t.client, verify.operation.id)).toMatchObject({ status: "SUCCEEDED", step: "verifying volume 2 of 2 in the " + bucket.name });

    // Dropping fra02 from the first template keeps what the second needs there.
    expect((await t.client.query(REMOVE, { input: { id: first.id, datacenters: ["fra02"] } })).removeImageTemplateDatacenters.__typename).toBe("RemoveImageTemplateDatacentersPayload");
    expect(new Set(await bucket.listChunks())).toEqual(secondChunks);
    expect(await bucket.getManifest(first.globalIdentifier)).toBeNull();

    const deleted = (await t.client.query(DELETE_TEMPLATE, { id: second.id })).deleteImageTemplate;
    expect(await waitForOperation(t.client, deleted.operation.id)).toMatchObject({ status: "SUCCEEDED" });
    expect(await bucket.listChunks()).toEqual([]);
    expect(await bucket.getManifest(second.globalIdentifier)).toBeNull();
    expect(await t.app.domain.deps.db.chunk.count({ where: { store: { not: "default" } } })).toBe(0);
  });

  it("fails a copy that meets a damaged chunk: the location FAILED, nothing left in the bucket, and the template DAMAGED", async () => {
    const source = await serverWithData(t, t.client, "dcsrc02", 8);
    const template = await captureTemplate(t.client, source.id, "dc-damaged");
    const [victim] = [...(await chunksOf(template.id))];
    await t.app.domain.deps.store.putChunk(victim, Buffer.from("not what its name says"));
    const added = (await t.client.query(ADD, { input: { id: template.id, datacenters: ["fra02"] } })).addImageTemplateDatacenters;
    const ended = await waitForOperation(t.client, added.operation.id);
    expect(ended).toMatchObject({ status: "FAILED", error: { code: "INTEGRITY" } });
    const { node } = await t.client.query(`query($id: ID!) { node(id: $id) { ... on ImageTemplate { status datacenters locations { datacenter status } } } }`, { id: template.id });
    expect(node).toEqual({ status: "DAMAGED", datacenters: ["dal10"], locations: [{ datacenter: "dal10", status: "AVAILABLE" }, { datacenter: "fra02", status: "FAILED" }] });
    expect(await bucket.listChunks()).toEqual([]);
    expect(await bucket.getManifest(template.globalIdentifier)).toBeNull();
    expect(await t.app.domain.deps.db.chunk.count({ where: { store: { not: "default" } } })).toBe(0);
  });
});
