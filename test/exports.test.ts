// Exporting a template into a bundle over the real API and HTTP: the EXPORT_TEMPLATE
// operation, the file's contents (header, manifest, every chunk decoding to its name), the
// download with the account's token only, Range requests, expiry, and a failed export that
// leaves nothing.
import { createHash } from "node:crypto";
import { existsSync, readdirSync } from "node:fs";
import { open } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { randomBytes } from "node:crypto";
import tar from "tar-stream";
import zstd from "zstd-napi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "./helpers/app.ts";
import type { GraphQLClient } from "./helpers/clients.ts";
import { captureTemplate, createActiveServer, ERROR_FIELDS, waitForOperation } from "./helpers/documents.ts";
import { rawId, volumePaths } from "./helpers/store.ts";
import { until } from "./helpers/wait.ts";

const EXPORT = `mutation($input: ExportImageTemplateInput!) { exportImageTemplate(input: $input) {
  __typename ... on ExportImageTemplatePayload { operation { id kind status } } ${ERROR_FIELDS}
} }`;
const EXPORT_FILE = `query($id: ID!) { node(id: $id) { ... on Operation { status export { url sizeBytes sha256 expiresAt } } } }`;

let t: TestApp;
let template: { id: string; globalIdentifier: string; name: string };

beforeAll(async () => {
  t = await startTestApp();
  const server = await createActiveServer(t.client, { hostname: "export01" });
  const file = await open((await volumePaths(t, server.id)).get(1)!, "r+");
  await file.write(randomBytes(9 * 1024 * 1024), 0, undefined, 8 * 1024 * 1024);
  await file.close();
  template = await captureTemplate(t.client, server.id, "export01-image");
});
afterAll(async () => t.stop());

async function exportDone(client: GraphQLClient, id: string) {
  const started = (await client.query(EXPORT, { input: { id, format: "BUNDLE" } })).exportImageTemplate;
  expect(started).toMatchObject({ __typename: "ExportImageTemplatePayload", operation: { kind: "EXPORT_TEMPLATE" } });
  const final = await waitForOperation(client, started.operation.id);
  return { operationId: started.operation.id as string, final };
}

const get = (url: string, headers: Record<string, string> = {}, method = "GET") => fetch(url, { method, headers });
const bearer = (client: GraphQLClient) => ({ authorization: `Bearer ${client.token}` });

/** The members of a tar file, in order. */
async function members(bytes: Buffer): Promise<Array<{ name: string; data: Buffer }>> {
  const extract = tar.extract();
  Readable.from([bytes]).pipe(extract);
  const found: Array<{ name: string; data: Buffer }> = [];
  for await (const entry of extract) {
    const parts: Buffer[] = [];
    for await (const part of entry) parts.push(part as Buffer);
    found.push({ name: entry.header.name, data: Buffer.concat(parts) });
  }
  return found;
}

describe("an exported template", () => {
  it("is a bundle file: its header and manifest first, then every chunk as stored, each decoding to its name", async () => {
    const { operationId, final } = await exportDone(t.client, template.id);
    expect(final.status).toBe("SUCCEEDED");
    const { export: file } = (await t.client.query(EXPORT_FILE, { id: operationId })).node;
    expect(file.url).toBe(`${new URL(t.url).origin}/exports/${encodeURIComponent(operationId)}`);
    expect(Date.parse(file.expiresAt) - Date.now()).toBeGreaterThan(23 * 3600_000);

    const response = await get(file.url, bearer(t.client));
    expect(response.status).toBe(200);
    expect(response.headers.get("accept-ranges")).toBe("bytes");
    const bytes = Buffer.from(await response.arrayBuffer());
    expect(bytes.length).toBe(file.sizeBytes);
    expect(createHash("sha256").update(bytes).digest("hex")).toBe(file.sha256);

    const [header, ...chunks] = await members(bytes);
    expect(header.name).toBe("imprint-bundle.json");
    const bundle = JSON.parse(header.data.toString());
    expect(bundle).toMatchObject({ bundleFormat: "imprint-bundle", bundleVersion: 1, template: { name: template.name, kind: "STANDARD" }, manifest: { formatVersion: 2, globalIdentifier: template.globalIdentifier } });
    const expected = await t.app.domain.deps.db.templateChunk.findMany({ where: { templateId: rawId(template.id) }, select: { hash: true } });
    expect(chunks.map((chunk) => chunk.name).sort()).toEqual(expected.map(({ hash }) => `chunks/${hash}.zst`).sort());
    expect(bundle.chunks.map((chunk: { hash: string }) => `chunks/${chunk.hash}.zst`)).toEqual(chunks.map((chunk) => chunk.name));
    for (const chunk of chunks) {
      expect(createHash("sha256").update(zstd.decompress(chunk.data)).digest("hex")).toBe(chunk.name.slice("chunks/".length, -".zst".length));
    }
    // Every chunk the manifest's volumes name is in the file.
    const named = new Set(bundle.manifest.volumes.flatMap((volume: { chunks: Array<[number, string]> }) => volume.chunks.map(([, hash]) => hash)));
    expect([...named].sort()).toEqual(bundle.chunks.map((chunk: { hash: string }) => chunk.hash).sort());
  });

  it("downloads in ranges, for its account only", async () => {
    const { operationId } = await exportDone(t.client, template.id);
    const { export: file } = (await t.client.query(EXPORT_FILE, { id: operationId })).node;
    const whole = Buffer.from(await (await get(file.url, bearer(t.client))).arrayBuffer());

    const part = await get(file.url, { ...bearer(t.client), range: "bytes=1000-5999" });
    expect(part.status).toBe(206);
    expect(part.headers.get("content-range")).toBe(`bytes 1000-5999/${file.sizeBytes}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(whole.subarray(1000, 6000))).toBe(true);
    const tail = await get(file.url, { ...bearer(t.client), range: `bytes=${file.sizeBytes - 10}-` });
    expect(Buffer.from(await tail.arrayBuffer()).equals(whole.subarray(-10))).toBe(true);
    const past = await get(file.url, { ...bearer(t.client), range: `bytes=${file.sizeBytes}-` });
    expect(past.status).toBe(416);
    expect(past.headers.get("content-range")).toBe(`bytes */${file.sizeBytes}`);
    const head = await get(file.url, bearer(t.client), "HEAD");
    expect([head.status, head.headers.get("content-length")]).toEqual([200, String(file.sizeBytes)]);

    const anonymous = await get(file.url);
    expect(anonymous.status).toBe(401);
    const other = await t.newAccount();
    expect((await get(file.url, bearer(other))).status).toBe(404);
    expect((await other.query(EXPORT_FILE, { id: operationId })).node).toBeNull();
    expect((await other.query(EXPORT, { input: { id: template.id, format: "BUNDLE" } })).exportImageTemplate).toMatchObject({ __typename: "NotFoundError", field: "id" });
  });

  it("is removed, file and all, once it expires", async () => {
    const { operationId } = await exportDone(t.client, template.id);
    const { export: file } = (await t.client.query(EXPORT_FILE, { id: operationId })).node;
    const onDisk = path.join(t.dataDir, "exports", `${rawId(operationId)}.bundle`);
    expect(existsSync(onDisk)).toBe(true);
    await t.app.domain.deps.db.templateExport.update({ where: { operationId: rawId(operationId) }, data: { expiresAt: new Date(Date.now() - 1000) } });
    await until(async () => !existsSync(onDisk), "the runner removing the expired export", 20_000);
    expect((await get(file.url, bearer(t.client))).status).toBe(404);
    expect((await t.client.query(EXPORT_FILE, { id: operationId })).node.export).toBeNull();
  });

  it("fails on a missing chunk with INTEGRITY and leaves no file and no download", async () => {
    const server = await createActiveServer(t.client, { hostname: "export02" });
    const file = await open((await volumePaths(t, server.id)).get(1)!, "r+");
    await file.write(randomBytes(4 * 1024 * 1024), 0, undefined, 0);
    await file.close();
    const damaged = await captureTemplate(t.client, server.id, "export02-image");
    // A chunk of its own: the other template shares its boot volume's, which must stay whole.
    const shared = new Set((await t.app.domain.deps.db.templateChunk.findMany({ where: { templateId: rawId(template.id) } })).map((row) => row.hash));
    const own = (await t.app.domain.deps.db.templateChunk.findMany({ where: { templateId: rawId(damaged.id) } })).find((row) => !shared.has(row.hash))!;
    await t.app.domain.deps.store.deleteChunk(own.hash);
    const { operationId, final } = await exportDone(t.client, damaged.id);
    expect(final.status).toBe("FAILED");
    expect(final.error.code).toBe("INTEGRITY");
    expect(readdirSync(path.join(t.dataDir, "exports")).filter((name) => name.startsWith(rawId(operationId)))).toEqual([]);
    expect(await t.app.domain.deps.db.templateExport.count({ where: { operationId: rawId(operationId) } })).toBe(0);
  });
});
