// Tokens and roles over the real API: every mutation × every role is allowed or a typed
// ForbiddenError that changes nothing; tokens are made, listed and revoked by an ADMIN; a
// revoked or expired token stops at once, also in its open subscriptions.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getSchema } from "../src/graphql/schema.ts";
import { startTestApp, type TestApp } from "./helpers/app.ts";
import { GraphQLClient } from "./helpers/clients.ts";
import { captureTemplate, createActiveServer, ERROR_FIELDS } from "./helpers/documents.ts";

const FORBIDDEN = `... on ForbiddenError { requiredRole }`;
const ID_PREFIXES: Record<string, string> = { Server: "srv", ImageTemplate: "img", Operation: "op", Account: "acc", ApiToken: "tok", ImageUpload: "upl" };
const MISSING = (type: string) => Buffer.from(`${type}:${ID_PREFIXES[type]}_doesnotexist0000000000`).toString("base64");

interface Fixtures {
  serverId: string;
  templateId: string;
  operationId: string;
  tokenId: string;
  /** Another account's public ID, to share with. */
  otherAccountId: string;
}

interface MutationCase {
  /** Needs ADMIN (else OPERATOR). */
  admin?: boolean;
  input(): string;
  /** Real objects and valid values: what a refused role would have changed. */
  valid(f: Fixtures): Record<string, unknown>;
  /** What an allowed role may send without changing anything (it fails after authorization). */
  harmless(): Record<string, unknown>;
}

const CASES: Record<string, MutationCase> = {
  createServer: {
    input: () => "CreateServerInput",
    valid: () => ({ hostname: "made01", domain: "example.com", datacenter: "dal10", cpu: 1, memoryMb: 1024, os: "DEBIAN_12_64", volumes: [{ role: "BOOT", capacityGb: 2 }] }),
    harmless: () => ({ hostname: "", domain: "example.com", datacenter: "dal10", cpu: 1, memoryMb: 1024, os: "DEBIAN_12_64", volumes: [{ role: "BOOT", capacityGb: 2 }] }),
  },
  powerOnServer: { input: () => "PowerOnServerInput", valid: (f) => ({ id: f.serverId }), harmless: () => ({ id: MISSING("Server") }) },
  powerOffServer: { input: () => "PowerOffServerInput", valid: (f) => ({ id: f.serverId }), harmless: () => ({ id: MISSING("Server") }) },
  deleteServer: { input: () => "DeleteServerInput", valid: (f) => ({ id: f.serverId }), harmless: () => ({ id: MISSING("Server") }) },
  captureImageTemplate: { input: () => "CaptureImageTemplateInput", valid: (f) => ({ serverId: f.serverId, name: "made-image" }), harmless: () => ({ serverId: MISSING("Server"), name: "x" }) },
  updateImageTemplate: { input: () => "UpdateImageTemplateInput", valid: (f) => ({ id: f.templateId, name: "renamed" }), harmless: () => ({ id: MISSING("ImageTemplate"), name: "x" }) },
  deleteImageTemplate: { input: () => "DeleteImageTemplateInput", valid: (f) => ({ id: f.templateId }), harmless: () => ({ id: MISSING("ImageTemplate") }) },
  verifyImageTemplate: { input: () => "VerifyImageTemplateInput", valid: (f) => ({ id: f.templateId }), harmless: () => ({ id: MISSING("ImageTemplate") }) },
  addImageTemplateDatacenters: { input: () => "AddImageTemplateDatacentersInput", valid: (f) => ({ id: f.templateId, datacenters: ["fra02"] }), harmless: () => ({ id: MISSING("ImageTemplate"), datacenters: ["fra02"] }) },
  removeImageTemplateDatacenters: { input: () => "RemoveImageTemplateDatacentersInput", valid: (f) => ({ id: f.templateId, datacenters: ["dal10"] }), harmless: () => ({ id: MISSING("ImageTemplate"), datacenters: ["dal10"] }) },
  deployImageTemplate: { input: () => "DeployImageTemplateInput", valid: (f) => ({ imageTemplateId: f.templateId, hostname: "made02", domain: "example.com" }), harmless: () => ({ imageTemplateId: MISSING("ImageTemplate"), hostname: "x", domain: "example.com" }) },
  reloadServer: { input: () => "ReloadServerInput", valid: (f) => ({ serverId: f.serverId, imageTemplateId: f.templateId }), harmless: () => ({ serverId: MISSING("Server"), imageTemplateId: MISSING("ImageTemplate") }) },
  deprecateImageTemplate: { input: () => "DeprecateImageTemplateInput", valid: (f) => ({ id: f.templateId }), harmless: () => ({ id: MISSING("ImageTemplate") }) },
  undeprecateImageTemplate: { input: () => "UndeprecateImageTemplateInput", valid: (f) => ({ id: f.templateId }), harmless: () => ({ id: MISSING("ImageTemplate") }) },
  setImageTemplateFamilyRetention: { input: () => "SetImageTemplateFamilyRetentionInput", valid: () => ({ family: "golden", keep: 1 }), harmless: () => ({ family: "Not A Family", keep: 1 }) },
  shareImageTemplate: { input: () => "ShareImageTemplateInput", valid: (f) => ({ id: f.templateId, accountId: f.otherAccountId }), harmless: () => ({ id: MISSING("ImageTemplate"), accountId: MISSING("Account") }) },
  unshareImageTemplate: { input: () => "UnshareImageTemplateInput", valid: (f) => ({ id: f.templateId, accountId: f.otherAccountId }), harmless: () => ({ id: MISSING("ImageTemplate"), accountId: MISSING("Account") }) },
  exportImageTemplate: { input: () => "ExportImageTemplateInput", valid: (f) => ({ id: f.templateId, format: "BUNDLE" }), harmless: () => ({ id: MISSING("ImageTemplate"), format: "BUNDLE" }) },
  createImageUpload: { input: () => "CreateImageUploadInput", valid: () => ({ sizeBytes: 10 }), harmless: () => ({ sizeBytes: 0 }) },
  importImageTemplate: { input: () => "ImportImageTemplateInput", valid: () => ({ uploadId: MISSING("ImageUpload"), name: "imported", format: "BUNDLE" }), harmless: () => ({ uploadId: MISSING("ImageUpload"), name: "imported", format: "BUNDLE" }) },
  cancelOperation: { input: () => "CancelOperationInput", valid: (f) => ({ id: f.operationId }), harmless: () => ({ id: MISSING("Operation") }) },
  createApiToken: { admin: true, input: () => "CreateApiTokenInput", valid: () => ({ name: "made", role: "ADMIN" }), harmless: () => ({ name: "", role: "VIEWER" }) },
  revokeApiToken: { admin: true, input: () => "RevokeApiTokenInput", valid: (f) => ({ id: f.tokenId }), harmless: () => ({ id: MISSING("ApiToken") }) },
};

const mutate = (name: string, inputType: string) => `mutation($input: ${inputType}!) { ${name}(input: $input) { __typename ${FORBIDDEN} ${ERROR_FIELDS} } }`;

let t: TestApp;
let admin: GraphQLClient;
let fixtures: Fixtures;
const roleClients: Record<string, GraphQLClient> = {};

async function newToken(role: string, extra: Record<string, unknown> = {}) {
  const made = (await admin.query(`mutation($input: CreateApiTokenInput!) { createApiToken(input: $input) { __typename ... on CreateApiTokenPayload { secret apiToken { id name role expiresAt revokedAt } } ${ERROR_FIELDS} } }`, { input: { name: `${role.toLowerCase()} token`, role, ...extra } })).createApiToken;
  expect(made.__typename).toBe("CreateApiTokenPayload");
  return { id: made.apiToken.id as string, client: new GraphQLClient(t.url, made.secret), token: made.apiToken };
}

/** Everything a mutation could change, as it is now. */
async function world() {
  const db = t.app.domain.deps.db;
  return {
    servers: await db.server.findMany({ select: { id: true, status: true, powerState: true }, orderBy: { id: "asc" } }),
    templates: await db.imageTemplate.findMany({ select: { id: true, name: true, status: true }, orderBy: { id: "asc" } }),
    datacenters: await db.imageTemplateDatacenter.count(),
    operations: await db.operation.findMany({ select: { id: true, status: true, cancelRequested: true }, orderBy: { id: "asc" } }),
    tokens: await db.apiToken.findMany({ select: { id: true, revokedAt: true }, orderBy: { id: "asc" } }),
  };
}

beforeAll(async () => {
  t = await startTestApp();
  admin = t.client;
  const server = await createActiveServer(admin, { hostname: "roles01" });
  const template = await captureTemplate(admin, server.id, "roles01-image");
  const operation = (await admin.query(`{ operations(first: 1) { edges { node { id } } } }`)).operations.edges[0].node.id;
  const spare = await newToken("VIEWER");
  const other = await (await t.newAccount("other")).query(`{ viewer { id } }`);
  fixtures = { serverId: server.id, templateId: template.id, operationId: operation, tokenId: spare.id, otherAccountId: other.viewer.id };
  for (const role of ["VIEWER", "OPERATOR", "ADMIN"]) roleClients[role] = (await newToken(role)).client;
});
afterAll(() => t.stop());

describe("every mutation × every role", () => {
  it("covers every mutation of the schema (a new one fails here until it is in the table)", () => {
    const mutations = Object.keys(getSchema().getMutationType()!.getFields()).sort();
    expect(Object.keys(CASES).sort()).toEqual(mutations);
  });

  for (const [name, spec] of Object.entries(CASES)) {
    for (const role of ["VIEWER", "OPERATOR", "ADMIN"] as const) {
      const allowed = role === "ADMIN" || (role === "OPERATOR" && !spec.admin);
      it(`${name} as ${role}: ${allowed ? "allowed" : `FORBIDDEN (needs ${spec.admin ? "ADMIN" : "OPERATOR"}), nothing changed`}`, async () => {
        const client = roleClients[role];
        if (allowed) {
          const answer = (await client.query(mutate(name, spec.input()), { input: spec.harmless() }))[name];
          expect(answer.__typename).not.toBe("ForbiddenError");
          expect(answer.__typename).toMatch(/Error$/); // refused by the domain, after authorization
        } else {
          const before = await world();
          const answer = (await client.query(mutate(name, spec.input()), { input: spec.valid(fixtures) }))[name];
          expect(answer).toMatchObject({ __typename: "ForbiddenError", code: "FORBIDDEN", requiredRole: spec.admin ? "ADMIN" : "OPERATOR" });
          expect(await world()).toEqual(before);
        }
      });
    }
  }
});

describe("tokens", () => {
  it("are listed to an ADMIN with their role and dates, never a secret; other roles see none", async () => {
    const { token } = await newToken("OPERATOR", { expiresAt: new Date(Date.now() + 3_600_000).toISOString() });
    const { viewer } = await admin.query(`{ viewer { role apiTokens { id name role createdAt lastUsedAt expiresAt revokedAt } } }`);
    expect(viewer.role).toBe("ADMIN");
    expect(viewer.apiTokens.find((listed: { id: string }) => listed.id === token.id)).toMatchObject({ name: "operator token", role: "OPERATOR", revokedAt: null, expiresAt: token.expiresAt });
    expect(getSchema().getType("ApiToken")!.toString()).toBe("ApiToken");
    expect(Object.keys((getSchema().getType("ApiToken") as any).getFields())).not.toContain("secret");
    const refused = await roleClients.VIEWER.raw(`{ viewer { apiTokens { id } } }`);
    expect(refused.body.errors?.[0].extensions).toMatchObject({ code: "FORBIDDEN" });
    expect((await roleClients.OPERATOR.query(`query($id: ID!) { node(id: $id) { id } }`, { id: token.id })).node).toBeNull();
  });

  it("refuse a past expiry, an unknown role's field and names with control or bidi-override characters", async () => {
    const answer = (await admin.query(mutate("createApiToken", "CreateApiTokenInput"), { input: { name: "evil\u202Etxt.exe", role: "VIEWER", expiresAt: new Date(Date.now() - 1000).toISOString() } })).createApiToken;
    expect(answer.__typename).toBe("ValidationError");
    expect(answer.fields).toEqual([
      { field: "name", message: "must not contain bidirectional override characters" },
      { field: "expiresAt", message: "must be in the future" },
    ]);
  });

  it("a VIEWER reads and follows, and cannot change", async () => {
    const { servers } = await roleClients.VIEWER.query(`{ servers(first: 5) { totalCount } }`);
    expect(servers.totalCount).toBeGreaterThan(0);
  });

  it("revoked: the next request gets 401, and its open SSE and WebSocket subscriptions end saying why", async () => {
    const { id, client } = await newToken("VIEWER");
    // The console's backlog line arrives at once: then each subscription is known to be open.
    const CONSOLE = `subscription($id: ID!) { serverConsole(id: $id, lastLines: 1) }`;
    const open = (transport: "sse" | "ws") => {
      let up!: () => void;
      const started = new Promise<void>((resolve) => (up = resolve));
      const subscribe = transport === "sse" ? client.sseSubscribe.bind(client) : client.wsSubscribe.bind(client);
      const ended = subscribe(CONSOLE, { id: fixtures.serverId }, () => up()).done.then(() => "completed", (error: Error) => error.message);
      return { started, ended };
    };
    const sse = open("sse");
    const ws = open("ws");
    await Promise.all([sse.started, ws.started]);
    const revoked = (await admin.query(mutate("revokeApiToken", "RevokeApiTokenInput"), { input: { id } })).revokeApiToken;
    expect(revoked.__typename).toBe("RevokeApiTokenPayload");
    expect(await sse.ended).toMatch(/subscription ended: the token was revoked/);
    expect(await ws.ended).toMatch(/subscription ended: the token was revoked/);
    const after = await client.raw(`{ viewer { role } }`);
    expect(after.status).toBe(401);
    const again = (await admin.query(mutate("revokeApiToken", "RevokeApiTokenInput"), { input: { id } })).revokeApiToken;
    expect(again).toMatchObject({ __typename: "ConflictError", state: "REVOKED" });
  });

  it("expired: the next request gets 401, and an open subscription ends within seconds", async () => {
    const { client } = await newToken("VIEWER", { expiresAt: new Date(Date.now() + 1500).toISOString() });
    const ended = client.sseSubscribe(`subscription($id: ID!) { serverConsole(id: $id) }`, { id: fixtures.serverId }).done.then(() => "completed", (error: Error) => error.message);
    expect(await ended).toMatch(/subscription ended: the token expired/);
    expect((await client.raw(`{ viewer { role } }`)).status).toBe(401);
  });
});

