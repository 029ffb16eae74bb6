// Idempotency keys on every mutation that takes one (captureImageTemplate,
// deployImageTemplate): the same key and input answer the first result, also for two requests
// at the same moment; the same key with other input is refused and makes nothing; keys kept
// before they moved to operations still work after the migration.
import { copyFileSync, mkdirSync, readdirSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { encodeGlobalID } from "@pothos/plugin-relay";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyMigrations, migrationsDir } from "../src/db/migrate.ts";

const MIGRATIONS_DIR = migrationsDir("sqlite");
import { ValidationError } from "../src/domain/kernel/index.ts";
import { idempotencyRequest } from "../src/domain/operations/index.ts";
import type { OperationKind } from "../src/domain/kernel/index.ts";
import { startTestApp, tempDataDir, type TestApp } from "./helpers/app.ts";
import { CAPTURE, captureTemplate, createActiveServer, DEPLOY, waitForOperation } from "./helpers/documents.ts";
import { rawId } from "./helpers/store.ts";

let t: TestApp;
let template: { id: string };
beforeAll(async () => {
  t = await startTestApp();
  const source = await createActiveServer(t.client, { hostname: "keysource" });
  template = await captureTemplate(t.client, source.id, "keysource-image");
});
afterAll(() => t.stop());

interface Mutation {
  name: string;
  field: "captureImageTemplate" | "deployImageTemplate";
  payload: string;
  kind: OperationKind;
  /** A new input for the mutation (a fresh server to capture, or a fresh hostname to deploy). */
  input(tag: string): Promise<Record<string, unknown>>;
  /** The same input changed in one field. */
  changed(input: Record<string, unknown>): Record<string, unknown>;
  /** The ID of what the operation made: the template, or the server. */
  made(answer: any): string;
}

const MUTATIONS: Mutation[] = [
  {
    name: "captureImageTemplate",
    field: "captureImageTemplate",
    payload: "CaptureImageTemplatePayload",
    kind: "CAPTURE",
    input: async (tag) => ({ serverId: (await createActiveServer(t.client, { hostname: `cap-${tag}` })).id, name: `cap-${tag}-image`, note: "keyed" }),
    changed: (input) => ({ ...input, note: "another note" }),
    made: (answer) => answer.imageTemplate.id,
  },
  {
    name: "deployImageTemplate",
    field: "deployImageTemplate",
    payload: "DeployImageTemplatePayload",
    kind: "DEPLOY",
    input: async (tag) => ({ imageTemplateId: template.id, hostname: `dep-${tag}`, domain: "example.com" }),
    changed: (input) => ({ ...input, volumes: [{ index: 1, capacityGb: 40 }] }),
    made: (answer) => answer.server.id,
  },
];

const send = async (mutation: Mutation, input: Record<string, unknown>) =>
  (await t.client.query(mutation.field === "captureImageTemplate" ? CAPTURE : DEPLOY, { input }))[mutation.field];

async function operationsWithKey(kind: OperationKind, key: string): Promise<number> {
  return t.app.domain.deps.db.operation.count({ where: { kind, idempotencyKey: key } });
}

describe.each(MUTATIONS)("$name with an idempotencyKey", (mutation) => {
  it("answers a repeat, before and after the operation ends, with the first result", async () => {
    const input = { ...(await mutation.input("again")), idempotencyKey: `${mutation.kind}-again` };
    const first = await send(mutation, input);
    expect(first.__typename).toBe(mutation.payload);
    const second = await send(mutation, input);
    expect([mutation.made(second), second.operation.id]).toEqual([mutation.made(first), first.operation.id]);
    expect((await waitForOperation(t.client, first.operation.id)).status).toBe("SUCCEEDED");
    const third = await send(mutation, input);
    expect(third.operation).toMatchObject({ id: first.operation.id, status: "SUCCEEDED" });
    expect(await operationsWithKey(mutation.kind, input.idempotencyKey)).toBe(1);
  });

  it("makes one operation of requests sent at the same moment, and gives each the same answer", async () => {
    const input = { ...(await mutation.input("twins")), idempotencyKey: `${mutation.kind}-twins` };
    // Eight at once: whatever order they run in, one operation and one answer.
    const answers = await Promise.all(Array.from({ length: 8 }, () => send(mutation, input)));
    const [a] = answers;
    expect(answers.map((answer) => answer.__typename)).toEqual(Array(8).fill(mutation.payload));
    expect(new Set(answers.map((answer) => `${mutation.made(answer)} ${answer.operation.id}`)).size).toBe(1);
    await waitForOperation(t.client, a.operation.id);
    expect(await operationsWithKey(mutation.kind, input.idempotencyKey)).toBe(1);
  });

  it("refuses the same key with other input, naming the state, and makes nothing", async () => {
    const input = { ...(await mutation.input("mismatch")), idempotencyKey: `${mutation.kind}-mismatch` };
    const first = await send(mutation, input);
    await waitForOperation(t.client, first.operation.id);
    const servers = await t.app.domain.deps.db.server.count();
    const templates = await t.app.domain.deps.db.imageTemplate.count();
    const refused = await send(mutation, mutation.changed(input));
    expect(refused).toMatchObject({ __typename: "ConflictError", code: "CONFLICT", state: "IDEMPOTENT_PARAMETER_MISMATCH" });
    expect(refused.message).toContain(`idempotencyKey "${input.idempotencyKey}"`);
    expect(await t.app.domain.deps.db.server.count()).toBe(servers);
    expect(await t.app.domain.deps.db.imageTemplate.count()).toBe(templates);
    expect(await operationsWithKey(mutation.kind, input.idempotencyKey)).toBe(1);
  });

  it("treats a field left out and the same field sent as null alike", async () => {
    const input = { ...(await mutation.input("nulls")), idempotencyKey: `${mutation.kind}-nulls` };
    const first = await send(mutation, input);
    const again = await send(mutation, { ...input, [mutation.kind === "CAPTURE" ? "volumeIndexes" : "userData"]: null });
    expect(again.operation?.id).toBe(first.operation.id);
    await waitForOperation(t.client, first.operation.id);
  });
});

describe("Operations.queueOnce", () => {
  it("answers with the twin's result a request that fails after a twin with its key committed", async () => {
    // On SQLite the window between a request's look-up and its transaction is too small to hit
    // from outside, so the twin commits from inside the request: the real capture with the
    // key, then the failure this request would meet (the name the twin took).
    const { domain } = t.app;
    const viewer = (await domain.accounts.authenticate(t.client.token))!;
    const server = await createActiveServer(t.client, { hostname: "twin" });
    const input = { serverId: rawId(server.id), name: "twin-image", idempotencyKey: "twin-key" };
    let twin: string | undefined;
    const answer = await domain.operations.queueOnce(
      viewer,
      "CAPTURE",
      idempotencyRequest(input),
      async () => {
        twin = (await domain.templates.capture(viewer, input)).operation.id;
        throw ValidationError.field("name", `an image template named "${input.name}" already exists`);
      },
      async (operationId) => operationId,
    );
    expect(answer).toBe(twin);
    await waitForOperation(t.client, encodeGlobalID("Operation", twin!));
  });

  it("passes on the failure of a request whose key no twin has", async () => {
    const { domain } = t.app;
    const viewer = (await domain.accounts.authenticate(t.client.token))!;
    const refusal = ValidationError.field("name", "taken");
    await expect(
      domain.operations.queueOnce(viewer, "CAPTURE", idempotencyRequest({ name: "x", idempotencyKey: "no-twin" }), () => Promise.reject(refusal), async (id) => id),
    ).rejects.toBe(refusal);
  });
});

describe("a key whose result is gone", () => {
  it("is refused, naming the state, once the template it made is deleted", async () => {
    const server = await createActiveServer(t.client, { hostname: "spent" });
    const input = { serverId: server.id, name: "spent-image", idempotencyKey: "spent-key" };
    const first = (await t.client.query(CAPTURE, { input })).captureImageTemplate;
    await waitForOperation(t.client, first.operation.id);
    const deleted = await t.client.query(`mutation($id: ID!) { deleteImageTemplate(input: { id: $id }) { ... on DeleteImageTemplatePayload { operation { id } } } }`, { id: first.imageTemplate.id });
    await waitForOperation(t.client, deleted.deleteImageTemplate.operation.id);
    const again = (await t.client.query(CAPTURE, { input })).captureImageTemplate;
    expect(again).toMatchObject({ __typename: "ConflictError", state: "IDEMPOTENCY_KEY_USED" });
  });
});

describe("keys kept before they moved to operations", () => {
  it("are on the CAPTURE and DEPLOY operations their templates and servers were made by, after the migration", async () => {
    const dir = tempDataDir();
    const url = `file:${path.join(dir, "imprint.db")}`;
    const all = readdirSync(MIGRATIONS_DIR).filter((name) => /^\d/.test(name)).sort();
    const moved = all.indexOf(all.find((name) => name.endsWith("_idempotency_keys_on_operations"))!);
    const before = path.join(dir, "migrations-before");
    for (const name of all.slice(0, moved)) {
      mkdirSync(path.join(before, name), { recursive: true });
      copyFileSync(path.join(MIGRATIONS_DIR, name, "migration.sql"), path.join(before, name, "migration.sql"));
    }
    await applyMigrations(url, before);
    const db = new Database(path.join(dir, "imprint.db"));
    db.exec(`
      INSERT INTO "Account" ("id", "name") VALUES ('acct_1', 'old');
      INSERT INTO "Server" ("id", "accountId", "kind", "hostname", "domain", "fqdn", "datacenter", "cpu", "memoryMb", "os", "powerState", "status", "idempotencyKey", "updatedAt")
        VALUES ('srv_1', 'acct_1', 'VIRTUAL', 'old', 'example.com', 'old.example.com', 'dal10', 1, 1024, 'UBUNTU_24_04_64', 'RUNNING', 'ACTIVE', 'deploy-key', 0);
      INSERT INTO "ImageTemplate" ("id", "accountId", "globalIdentifier", "name", "status", "idempotencyKey", "updatedAt")
        VALUES ('img_1', 'acct_1', 'guid-1', 'old-image', 'ACTIVE', 'capture-key', 0);
      INSERT INTO "Operation" ("id", "accountId", "kind", "status", "serverId", "imageTemplateId", "updatedAt") VALUES
        ('op_1', 'acct_1', 'CAPTURE', 'SUCCEEDED', 'srv_1', 'img_1', 0),
        ('op_2', 'acct_1', 'DEPLOY', 'SUCCEEDED', 'srv_1', NULL, 0),
        ('op_3', 'acct_1', 'POWER_OFF', 'SUCCEEDED', 'srv_1', NULL, 0);
    `);
    db.close();
    await applyMigrations(url);
    const after = new Database(path.join(dir, "imprint.db"), { readonly: true });
    const keys = after.prepare(`SELECT "id", "serverId", "imageTemplateId", "idempotencyKey", "idempotencyFingerprint" FROM "Operation" ORDER BY "id"`).all();
    const rebuilt = after.prepare(`SELECT (SELECT count(*) FROM "Server") AS servers, (SELECT count(*) FROM "ImageTemplate") AS templates`).get();
    after.close();
    // The rebuilt tables keep their rows, and the rows that refer to them their links.
    expect(rebuilt).toEqual({ servers: 1, templates: 1 });
    expect(keys).toEqual([
      { id: "op_1", serverId: "srv_1", imageTemplateId: "img_1", idempotencyKey: "capture-key", idempotencyFingerprint: null },
      { id: "op_2", serverId: "srv_1", imageTemplateId: null, idempotencyKey: "deploy-key", idempotencyFingerprint: null },
      { id: "op_3", serverId: "srv_1", imageTemplateId: null, idempotencyKey: null, idempotencyFingerprint: null },
    ]);
  });
});
