// The whole path on S3 (IMPRINT_STORE=s3://…, the run's Swift): a capture writes its chunks and
// manifest as objects, a deploy restores the same bytes from them, verify reads them, deleting
// the template removes them. Then a store that goes down in the middle of a capture: the capture
// ends FAILED with UNAVAILABLE naming the store (no hang), the server is back as it was, nothing
// is ACTIVE; once the store answers again, deleting the failed template leaves no object behind.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { S3ImageStore } from "../src/storage/s3-image-store.ts";
import { startTestApp, type TestApp } from "./helpers/app.ts";
import { CAPTURE, captureTemplate, DEPLOY, TEMPLATE, waitForOperation } from "./helpers/documents.ts";
import { expectInvariants, serverState, serverWithData, VERIFY } from "./helpers/fault-fixtures.ts";
import { S3FaultProxy } from "./helpers/s3-fault-proxy.ts";
import { fileDigest, volumePaths } from "./helpers/store.ts";
import { newS3Location, s3Endpoint, s3Env, s3Options, swiftUnavailable } from "./helpers/swift.ts";

const SKIP = s3Endpoint ? null : (swiftUnavailable() ?? "no TEST_S3_ENDPOINT");
const DELETE_TEMPLATE = `mutation($id: ID!) { deleteImageTemplate(input: { id: $id }) { __typename ... on DeleteImageTemplatePayload { operation { id } } ... on Error { code message } } }`;

describe.skipIf(SKIP !== null)(`templates on S3${SKIP ? ` (skipped: ${SKIP})` : ""}`, () => {
  let t: TestApp;
  let location: string;
  let objects: S3ImageStore;
  beforeAll(async () => {
    location = newS3Location("e2e");
    t = await startTestApp({ env: { IMPRINT_STORE: location, ...s3Env() } });
    // A second client of the same bucket, to look at the objects themselves.
    objects = new S3ImageStore(location, { attempts: 3, timeoutMs: 10_000, ...s3Options() });
  });
  afterAll(async () => {
    await objects?.close();
    await t?.stop();
  });

  it("captures into objects, deploys the same bytes from them, verifies them, and removes them with the template", async () => {
    const ready = (await (await fetch(new URL("/readyz", t.url))).json()) as { checks: Record<string, string> };
    expect(ready.checks.imageStore).toBe("ok");
    const source = await serverWithData(t, t.client, "s3src01", 16);
    const template = await captureTemplate(t.client, source.id, "s3-golden");
    const rows = (await t.app.domain.deps.db.chunk.findMany({ select: { hash: true } })).map((row) => row.hash).sort();
    expect(rows.length).toBeGreaterThan(4);
    expect((await objects.listChunks()).sort()).toEqual(rows);
    expect(await objects.getManifest(template.globalIdentifier)).toMatchObject({ volumes: expect.any(Array) });

    const deploy = (await t.client.query(DEPLOY, { input: { imageTemplateId: template.id, hostname: "s3clone01", domain: "example.com" } })).deployImageTemplate;
    expect(await waitForOperation(t.client, deploy.operation.id)).toMatchObject({ status: "SUCCEEDED" });
    const [from, to] = [await volumePaths(t, source.id), await volumePaths(t, deploy.server.id)];
    expect(await fileDigest(to.get(1)!)).toBe(await fileDigest(from.get(1)!));

    const verify = (await t.client.query(VERIFY, { id: template.id })).verifyImageTemplate;
    expect(await waitForOperation(t.client, verify.operation.id)).toMatchObject({ status: "SUCCEEDED" });
    await expectInvariants(t);

    const deleted = (await t.client.query(DELETE_TEMPLATE, { id: template.id })).deleteImageTemplate;
    expect(await waitForOperation(t.client, deleted.operation.id)).toMatchObject({ status: "SUCCEEDED" });
    expect(await objects.listChunks()).toEqual([]);
    expect(await objects.getManifest(template.globalIdentifier)).toBeNull();
  });
});

describe.skipIf(SKIP !== null)(`a store that goes down in the middle of a capture${SKIP ? ` (skipped: ${SKIP})` : ""}`, () => {
  let t: TestApp;
  let proxy: S3FaultProxy;
  let location: string;
  beforeAll(async () => {
    proxy = await new S3FaultProxy(s3Endpoint!).start();
    location = newS3Location("outage");
    t = await startTestApp({ env: { IMPRINT_STORE: location, ...s3Env(proxy.url), IMPRINT_S3_ATTEMPTS: "3", IMPRINT_S3_TIMEOUT_MS: "2000" } });
  });
  afterAll(async () => {
    await t?.stop();
    await proxy?.stop();
  });

  it("fails it with UNAVAILABLE naming the store, restores the server, and leaves nothing once the store is back", async () => {
    const source = await serverWithData(t, t.client, "s3down01", 32);
    const before = await serverState(t.client, source.id);
    proxy.downAfterPuts(3);
    const capture = (await t.client.query(CAPTURE, { input: { serverId: source.id, name: "s3-outage" } })).captureImageTemplate;
    const ended = await waitForOperation(t.client, capture.operation.id);
    expect(ended).toMatchObject({ status: "FAILED", error: { code: "UNAVAILABLE" } });
    expect(ended.error.message).toContain(`image store "${location}" is unreachable`);
    expect(await serverState(t.client, source.id)).toEqual(before);
    expect((await t.client.query(TEMPLATE, { id: capture.imageTemplate.id })).node.status).toBe("FAILED");
    const ready = (await (await fetch(new URL("/readyz", t.url))).json()) as { checks: Record<string, string> };
    expect(ready.checks.imageStore).toContain("is unreachable");

    proxy.pass();
    const deleted = (await t.client.query(DELETE_TEMPLATE, { id: capture.imageTemplate.id })).deleteImageTemplate;
    expect(await waitForOperation(t.client, deleted.operation.id)).toMatchObject({ status: "SUCCEEDED" });
    expect(await t.app.domain.deps.store.listChunks()).toEqual([]);
    expect(await t.app.domain.deps.db.chunk.count()).toBe(0);
    expect(await t.app.domain.deps.store.getManifest(capture.imageTemplate.globalIdentifier)).toBeNull();
    await expectInvariants(t);
  });
});
