// Damaged and missing chunks, found by deploy, reload, verify and a new capture of the same
// data: what each does, and how a template heals. After each, the invariant checker.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "./helpers/app.ts";
import { captureTemplate, DEPLOY, TEMPLATE, waitForOperation } from "./helpers/documents.ts";
import { expectInvariants, RELOAD, serverState, serverWithData, VERIFY } from "./helpers/fault-fixtures.ts";
import { volumeChecksums } from "./helpers/invariants.ts";
import { rawId } from "./helpers/store.ts";

describe("damaged and missing chunks", () => {
  let t: TestApp;
  let source: { id: string; fqdn: string };
  beforeAll(async () => {
    t = await startTestApp();
    source = await serverWithData(t, t.client, "heal01", 16);
  });
  afterAll(async () => t.stop());

  async function dataChunk(globalIdentifier: string): Promise<string> {
    const manifest = (await t.app.domain.deps.store.getManifest(globalIdentifier)) as any;
    return manifest.volumes.find((v: any) => v.index === 1).chunks[0][1];
  }

  it("a corrupted chunk: deploy fails INTEGRITY and marks the template DAMAGED; deploys and reloads are refused naming the chunk; a new capture heals it", async () => {
    const template = await captureTemplate(t.client, source.id, "heal01-a");
    const hash = await dataChunk(template.globalIdentifier);
    await t.app.domain.deps.store.putChunk(hash, randomBytes(1000));

    const deploy = (await t.client.query(DEPLOY, { input: { imageTemplateId: template.id, hostname: "heal02", domain: "example.com" } })).deployImageTemplate;
    const failed = await waitForOperation(t.client, deploy.operation.id);
    expect(failed.error.code).toBe("INTEGRITY");
    expect(failed.error.message).toMatch(/image template "heal01-a" .*volume 1: chunk [0-9a-f]{12} is damaged/);
    expect((await t.client.query(TEMPLATE, { id: template.id })).node.status).toBe("DAMAGED");
    await expectInvariants(t);

    const refused = (await t.client.query(DEPLOY, { input: { imageTemplateId: template.id, hostname: "heal03", domain: "example.com" } })).deployImageTemplate;
    expect(refused).toMatchObject({ __typename: "ConflictError", state: "DAMAGED" });
    expect(refused.message).toContain(`chunk ${hash.slice(0, 12)} of volume 1`);
    const reload = (await t.client.query(RELOAD, { input: { serverId: source.id, imageTemplateId: template.id } })).reloadServer;
    expect(reload).toMatchObject({ __typename: "ConflictError", state: "DAMAGED" });

    const verify = (await t.client.query(VERIFY, { id: template.id })).verifyImageTemplate;
    const verified = await waitForOperation(t.client, verify.operation.id);
    expect(verified.status).toBe("FAILED");
    expect(verified.error.code).toBe("INTEGRITY");
    expect(verified.error.message).toContain(`${hash.slice(0, 12)} (volume 1)`);

    // The same data captured again rewrites the chunk: both templates are ACTIVE and deployable.
    const again = await captureTemplate(t.client, source.id, "heal01-b");
    expect((await t.client.query(TEMPLATE, { id: again.id })).node.status).toBe("ACTIVE");
    expect((await t.client.query(TEMPLATE, { id: template.id })).node.status).toBe("ACTIVE");
    const healed = (await t.client.query(DEPLOY, { input: { imageTemplateId: template.id, hostname: "heal04", domain: "example.com" } })).deployImageTemplate;
    expect((await waitForOperation(t.client, healed.operation.id)).status).toBe("SUCCEEDED");
    expect(await volumeChecksums(t.app, rawId(healed.server.id))).toEqual(await volumeChecksums(t.app, rawId(source.id)));
    await expectInvariants(t);
  });

  it("a damaged chunk found by a reload: FAILED INTEGRITY, the server byte-identical and in its power state", async () => {
    const template = await captureTemplate(t.client, source.id, "heal01-r");
    const target = await serverWithData(t, t.client, "heal05", 4);
    const before = await volumeChecksums(t.app, rawId(target.id));
    const hash = await dataChunk(template.globalIdentifier);
    await t.app.domain.deps.store.putChunk(hash, randomBytes(1000));
    const reload = (await t.client.query(RELOAD, { input: { serverId: target.id, imageTemplateId: template.id } })).reloadServer;
    const final = await waitForOperation(t.client, reload.operation.id);
    expect(final.error.code).toBe("INTEGRITY");
    expect(await serverState(t.client, target.id)).toEqual({ status: "ACTIVE", powerState: "RUNNING", activeOperation: null });
    expect(await volumeChecksums(t.app, rawId(target.id))).toEqual(before);
    expect((await t.client.query(TEMPLATE, { id: template.id })).node.status).toBe("DAMAGED");
    // Heal it for the tests that follow: the source still holds the bytes.
    await captureTemplate(t.client, source.id, "heal01-r2");
    expect((await t.client.query(TEMPLATE, { id: template.id })).node.status).toBe("ACTIVE");
    await expectInvariants(t);
  });

  it("a missing chunk: a new capture of the same data does not trust the catalogue and rewrites it; verify then passes", async () => {
    const template = await captureTemplate(t.client, source.id, "heal01-c");
    const hash = await dataChunk(template.globalIdentifier);
    await t.app.domain.deps.store.deleteChunk(hash);
    const again = await captureTemplate(t.client, source.id, "heal01-d");
    expect(await t.app.domain.deps.store.hasChunk(hash)).toBe(true);
    for (const id of [template.id, again.id]) {
      const verify = (await t.client.query(VERIFY, { id })).verifyImageTemplate;
      expect((await waitForOperation(t.client, verify.operation.id)).status).toBe("SUCCEEDED");
    }
    await expectInvariants(t);
  });

  it("verify finds a missing chunk, and a verify after the chunk is back makes the template ACTIVE again", async () => {
    const template = await captureTemplate(t.client, source.id, "heal01-e");
    const hash = await dataChunk(template.globalIdentifier);
    const saved = await t.app.domain.deps.store.getChunk(hash);
    await t.app.domain.deps.store.deleteChunk(hash);
    const first = await waitForOperation(t.client, (await t.client.query(VERIFY, { id: template.id })).verifyImageTemplate.operation.id);
    expect(first.error).toMatchObject({ code: "INTEGRITY" });
    expect(first.error.message).toMatch(/1 chunk\(s\) missing or damaged/);
    expect((await t.client.query(TEMPLATE, { id: template.id })).node.status).toBe("DAMAGED");
    await t.app.domain.deps.store.putChunk(hash, saved); // restored from a backup
    const second = await waitForOperation(t.client, (await t.client.query(VERIFY, { id: template.id })).verifyImageTemplate.operation.id);
    expect(second.status).toBe("SUCCEEDED");
    expect((await t.client.query(TEMPLATE, { id: template.id })).node.status).toBe("ACTIVE");
    await expectInvariants(t);
  });
});

