// A round trip between two imprint installations over their real APIs: export on one,
// download, upload to the other in two parts (the second a resume), import, deploy there, byte
// for byte. And files it must refuse: not a bundle, a newer version, a damaged chunk; none
// leaves anything in the store.
import { randomBytes } from "node:crypto";
import { open } from "node:fs/promises";
import { Readable } from "node:stream";
import tar from "tar-stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "./helpers/app.ts";
import type { GraphQLClient } from "./helpers/clients.ts";
import { captureTemplate, createActiveServer, DEPLOY, ERROR_FIELDS, TEMPLATE, waitForOperation } from "./helpers/documents.ts";
import { fileDigest, storeAudit, volumePaths } from "./helpers/store.ts";

const EXPORT = `mutation($input: ExportImageTemplateInput!) { exportImageTemplate(input: $input) { ... on ExportImageTemplatePayload { operation { id } } } }`;
const EXPORT_FILE = `query($id: ID!) { node(id: $id) { ... on Operation { export { url sha256 sizeBytes } } } }`;
const UPLOAD = `mutation($input: CreateImageUploadInput!) { createImageUpload(input: $input) { __typename ... on CreateImageUploadPayload { uploadId url } ${ERROR_FIELDS} } }`;
const IMPORT = `mutation($input: ImportImageTemplateInput!) { importImageTemplate(input: $input) {
  __typename ... on ImportImageTemplatePayload { imageTemplate { id name status } operation { id } } ${ERROR_FIELDS}
} }`;

let a: TestApp;
let b: TestApp;
let sourceData: string;
let bundle: Buffer;
let original: any;

beforeAll(async () => {
  [a, b] = await Promise.all([startTestApp(), startTestApp()]);
  const server = await createActiveServer(a.client, { hostname: "travel01" });
  const data = (await volumePaths(a, server.id)).get(1)!;
  const file = await open(data, "r+");
  await file.write(randomBytes(6 * 1024 * 1024), 0, undefined, 20 * 1024 * 1024);
  await file.close();
  sourceData = await fileDigest(data);
  const template = await captureTemplate(a.client, server.id, "travel01-image");
  original = (await a.client.query(TEMPLATE, { id: template.id })).node;
  const { operation } = (await a.client.query(EXPORT, { input: { id: template.id, format: "BUNDLE" } })).exportImageTemplate;
  await waitForOperation(a.client, operation.id);
  const { url } = (await a.client.query(EXPORT_FILE, { id: operation.id })).node.export;
  bundle = Buffer.from(await (await fetch(url, { headers: { authorization: `Bearer ${a.client.token}` } })).arrayBuffer());
});
afterAll(async () => Promise.all([a?.stop(), b?.stop()]));

const put = (client: GraphQLClient | null, url: string, body: Buffer, range?: string) =>
  fetch(url, { method: "PUT", body: new Uint8Array(body), headers: { ...(client ? { authorization: `Bearer ${client.token}` } : {}), ...(range ? { "content-range": range } : {}) } });

/** An upload on `b` holding `bytes`, sent whole. */
async function uploaded(bytes: Buffer): Promise<string> {
  const { uploadId, url } = (await b.client.query(UPLOAD, { input: { sizeBytes: bytes.length } })).createImageUpload;
  expect((await put(b.client, url, bytes)).status).toBe(200);
  return uploadId;
}

/** A bundle rebuilt from the exported one, its members changed by `change`. */
async function rebuilt(change: (name: string, data: Buffer) => Buffer): Promise<Buffer> {
  const extract = tar.extract();
  Readable.from([bundle]).pipe(extract);
  const pack = tar.pack();
  const out: Buffer[] = [];
  pack.on("data", (part: unknown) => out.push(part as Buffer));
  for await (const entry of extract) {
    const parts: Buffer[] = [];
    for await (const part of entry) parts.push(part as Buffer);
    const data = change(entry.header.name, Buffer.concat(parts));
    await new Promise<void>((resolve, reject) => pack.entry({ name: entry.header.name, size: data.length }, data, (error) => (error ? reject(error) : resolve())));
  }
  pack.finalize();
  await new Promise<void>((resolve) => pack.on("end", () => resolve()));
  return Buffer.concat(out);
}

describe("a template exported from one imprint", () => {
  it("uploads to another in two parts, imports there, and deploys byte for byte", async () => {
    const { uploadId, url } = (await b.client.query(UPLOAD, { input: { sizeBytes: bundle.length } })).createImageUpload;
    const half = Math.floor(bundle.length / 2);
    expect((await put(b.client, url, bundle.subarray(0, half), `bytes 0-${half - 1}/${bundle.length}`)).status).toBe(200);
    const head = await fetch(url, { method: "HEAD", headers: { authorization: `Bearer ${b.client.token}` } });
    expect(head.headers.get("upload-offset")).toBe(String(half));
    // Not yet complete: the import waits for all of it.
    expect((await b.client.query(IMPORT, { input: { uploadId, name: "arrived", format: "BUNDLE" } })).importImageTemplate).toMatchObject({ __typename: "ConflictError", state: "INCOMPLETE" });
    // A part that does not start where the upload ends is refused, saying where it does.
    const misplaced = await put(b.client, url, bundle.subarray(10), `bytes 10-${bundle.length - 1}/${bundle.length}`);
    expect([misplaced.status, misplaced.headers.get("upload-offset")]).toEqual([409, String(half)]);
    const rest = await put(b.client, url, bundle.subarray(half), `bytes ${half}-${bundle.length - 1}/${bundle.length}`);
    expect(await rest.json()).toEqual({ receivedBytes: bundle.length });

    const started = (await b.client.query(IMPORT, { input: { uploadId, name: "arrived", format: "BUNDLE" } })).importImageTemplate;
    expect(started).toMatchObject({ __typename: "ImportImageTemplatePayload", imageTemplate: { name: "arrived", status: "CAPTURING" } });
    expect((await waitForOperation(b.client, started.operation.id)).status).toBe("SUCCEEDED");
    const imported = (await b.client.query(TEMPLATE, { id: started.imageTemplate.id })).node;
    expect(imported).toMatchObject({ status: "ACTIVE", kind: "STANDARD", sizeBytes: original.sizeBytes, datacenters: original.datacenters });
    expect(imported.volumes.map((v: any) => [v.index, v.digest])).toEqual(original.volumes.map((v: any) => [v.index, v.digest]));
    expect(imported.configuration).toEqual(original.configuration);

    const deployed = (await b.client.query(DEPLOY, { input: { imageTemplateId: imported.id, hostname: "travel02", domain: "example.com" } })).deployImageTemplate;
    expect((await waitForOperation(b.client, deployed.operation.id)).status).toBe("SUCCEEDED");
    expect(await fileDigest((await volumePaths(b, deployed.server.id)).get(1)!)).toBe(sourceData);
    // Imported once: the upload is spent.
    expect((await put(b.client, url, Buffer.from("more"))).status).toBe(404);
  });

  it("takes uploads from their own account only", async () => {
    const { url } = (await b.client.query(UPLOAD, { input: {} })).createImageUpload;
    expect((await put(null, url, Buffer.from("x"))).status).toBe(401);
    expect((await put(await b.newAccount(), url, Buffer.from("x"))).status).toBe(404);
    expect((await b.client.query(UPLOAD, { input: { sizeBytes: 0 } })).createImageUpload).toMatchObject({ __typename: "ValidationError", fields: [{ field: "sizeBytes" }] });
  });
});

describe("a file imprint cannot import", () => {
  it("is refused by name: not a bundle, or a bundle of a newer version", async () => {
    const junk = await uploaded(randomBytes(4096));
    const notBundle = (await b.client.query(IMPORT, { input: { uploadId: junk, name: "junk", format: "BUNDLE" } })).importImageTemplate;
    expect(notBundle).toMatchObject({ __typename: "BadImageFileError", code: "BAD_IMAGE_FILE" });
    expect(notBundle.message).toMatch(/not a bundle/);
    const newer = await uploaded(await rebuilt((name, data) => (name === "imprint-bundle.json" ? Buffer.from(JSON.stringify({ ...JSON.parse(data.toString()), bundleVersion: 2 })) : data)));
    const refused = (await b.client.query(IMPORT, { input: { uploadId: newer, name: "newer", format: "BUNDLE" } })).importImageTemplate;
    expect(refused).toMatchObject({ __typename: "BadImageFileError" });
    expect(refused.message).toMatch(/version 2, newer than this imprint reads \(1\)/);
    expect(await b.app.domain.deps.db.imageTemplate.count({ where: { name: { in: ["junk", "newer"] } } })).toBe(0);
  });

  it("with a damaged chunk fails INTEGRITY, the template FAILED and nothing of it in the store", async () => {
    const before = await storeAudit(b);
    let flipped = false;
    const damaged = await uploaded(
      await rebuilt((name, data) => {
        if (flipped || !name.startsWith("chunks/")) return data;
        flipped = true;
        const copy = Buffer.from(data);
        copy[copy.length - 1] ^= 0xff;
        return copy;
      }),
    );
    const started = (await b.client.query(IMPORT, { input: { uploadId: damaged, name: "damaged", format: "BUNDLE" } })).importImageTemplate;
    const final = await waitForOperation(b.client, started.operation.id);
    expect(final.status).toBe("FAILED");
    expect(final.error.code).toBe("INTEGRITY");
    expect(final.error.message).toMatch(/the bundle imported as "damaged": chunk [0-9a-f]{12} is damaged/);
    expect((await b.client.query(TEMPLATE, { id: started.imageTemplate.id })).node.status).toBe("FAILED");
    expect(await storeAudit(b)).toEqual(before);
  });
});
