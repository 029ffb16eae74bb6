// Retiring templates: deprecation (still deploys, with a warning naming the replacement),
// obsolescence (refuses deploys and reloads, naming it), times ahead that take effect by
// themselves and outlive a restart, lists that hide retired templates, protection, usage.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, tempDataDir, type TestApp } from "./helpers/app.ts";
import { GraphQLClient } from "./helpers/clients.ts";
import { captureTemplate, createActiveServer, DEPLOY, ERROR_FIELDS, TEMPLATE, waitForOperation } from "./helpers/documents.ts";
import { globalId, rawId } from "./helpers/store.ts";
import { until } from "./helpers/wait.ts";

const DEPRECATE = `mutation($input: DeprecateImageTemplateInput!) { deprecateImageTemplate(input: $input) {
  __typename ... on DeprecateImageTemplatePayload { imageTemplate { id status deprecateAt obsoleteAt replacement { id name } } } ${ERROR_FIELDS}
} }`;
const UNDEPRECATE = `mutation($id: ID!) { undeprecateImageTemplate(input: { id: $id }) {
  __typename ... on UndeprecateImageTemplatePayload { imageTemplate { id status deprecateAt obsoleteAt replacement { id } } } ${ERROR_FIELDS}
} }`;
const DEPLOY_WITH_WARNINGS = `mutation($input: DeployImageTemplateInput!) { deployImageTemplate(input: $input) {
  __typename
  ... on DeployImageTemplatePayload { server { id } operation { id } warnings { code message replacement { id name } } }
  ... on ObsoleteImageTemplateError { replacement { id name } }
  ${ERROR_FIELDS}
} }`;
const RELOAD = `mutation($input: ReloadServerInput!) { reloadServer(input: $input) {
  __typename ... on ReloadServerPayload { operation { id } warnings { code } } ... on ObsoleteImageTemplateError { replacement { id } } ${ERROR_FIELDS}
} }`;
const NAMES = `query($filter: ImageTemplateFilter) { imageTemplates(filter: $filter, first: 100) { edges { node { name } } } }`;
const UPDATE = `mutation($input: UpdateImageTemplateInput!) { updateImageTemplate(input: $input) { __typename ... on UpdateImageTemplatePayload { imageTemplate { protected } } ${ERROR_FIELDS} } }`;
const DELETE = `mutation($id: ID!) { deleteImageTemplate(input: { id: $id }) { __typename ... on DeleteImageTemplatePayload { operation { id } } ${ERROR_FIELDS} } }`;
const USAGE = `query($id: ID!) { node(id: $id) { ... on ImageTemplate { status deploymentCount lastDeployedAt } } }`;

let t: TestApp;
let source: { id: string };
/** A fresh template of the source server, for a test of its own. */
let captures = 0;
const newTemplate = () => captureTemplate(t.client, source.id, `base-${++captures}`);
const statusOf = async (id: string) => (await t.client.query(TEMPLATE, { id })).node.status as string;
const names = async (filter: Record<string, unknown> = {}) => (await t.client.query(NAMES, { filter })).imageTemplates.edges.map((e: any) => e.node.name) as string[];
const deploy = async (imageTemplateId: string, hostname: string) =>
  (await t.client.query(DEPLOY_WITH_WARNINGS, { input: { imageTemplateId, hostname, domain: "example.com" } })).deployImageTemplate;
const later = (ms: number) => new Date(Date.now() + ms).toISOString();

beforeAll(async () => {
  t = await startTestApp();
  source = await createActiveServer(t.client, { hostname: "golden01" });
});
afterAll(async () => t.stop());

describe("a deprecated template", () => {
  it("still deploys, with a warning naming its replacement, and lists leave it out unless asked", async () => {
    const old = await newTemplate();
    const next = await newTemplate();
    const deprecated = (await t.client.query(DEPRECATE, { input: { id: old.id, replacementId: next.id } })).deprecateImageTemplate;
    expect(deprecated.imageTemplate).toMatchObject({ status: "DEPRECATED", obsoleteAt: null, replacement: { id: next.id, name: next.name } });
    const result = await deploy(old.id, "dep01");
    expect(result.__typename).toBe("DeployImageTemplatePayload");
    expect(result.warnings).toEqual([
      { code: "TEMPLATE_DEPRECATED", message: `image template "${old.name}" is deprecated since ${deprecated.imageTemplate.deprecateAt}; use "${next.name}" instead`, replacement: { id: next.id, name: next.name } },
    ]);
    expect((await waitForOperation(t.client, result.operation.id)).status).toBe("SUCCEEDED");
    // An ACTIVE template's deploy has no warnings.
    expect((await deploy(next.id, "dep02")).warnings).toEqual([]);

    expect(await names()).not.toContain(old.name);
    expect(await names()).toContain(next.name);
    expect(await names({ includeDeprecated: true })).toContain(old.name);
    expect(await names({ status: ["DEPRECATED"] })).toContain(old.name);
  });

  it("is ACTIVE again once undeprecated, with no times and no replacement", async () => {
    const old = await newTemplate();
    const next = await newTemplate();
    await t.client.query(DEPRECATE, { input: { id: old.id, replacementId: next.id, obsoleteAt: later(3_600_000) } });
    const undone = (await t.client.query(UNDEPRECATE, { id: old.id })).undeprecateImageTemplate;
    expect(undone.imageTemplate).toEqual({ id: old.id, status: "ACTIVE", deprecateAt: null, obsoleteAt: null, replacement: null });
    expect(await names()).toContain(old.name);
  });
});

describe("an obsolete template", () => {
  it("refuses deploys and reloads with an error naming its replacement, and creates nothing", async () => {
    const old = await newTemplate();
    const next = await newTemplate();
    const now = new Date().toISOString();
    expect((await t.client.query(DEPRECATE, { input: { id: old.id, deprecateAt: now, obsoleteAt: now, replacementId: next.id } })).deprecateImageTemplate.imageTemplate.status).toBe("OBSOLETE");
    const servers = await t.app.domain.deps.db.server.count();
    const refused = await deploy(old.id, "obs01");
    expect(refused).toMatchObject({ __typename: "ObsoleteImageTemplateError", code: "TEMPLATE_OBSOLETE", replacement: { id: next.id, name: next.name } });
    expect(refused.message).toBe(`image template "${old.name}" is OBSOLETE and no longer deploys; use "${next.name}" instead`);
    const reloaded = (await t.client.query(RELOAD, { input: { serverId: source.id, imageTemplateId: old.id } })).reloadServer;
    expect(reloaded).toMatchObject({ __typename: "ObsoleteImageTemplateError", replacement: { id: next.id } });
    expect(await t.app.domain.deps.db.server.count()).toBe(servers);
    expect(await names({ includeDeprecated: true })).toContain(old.name);
  });

  it("is refused by a deploy whose time has come before any sweep ran: the queueing transaction settles it", async () => {
    // No sweep in this instance's life: its heartbeat is a minute.
    const own = await startTestApp({ env: { IMPRINT_HEARTBEAT_MS: "60000" } });
    try {
      const server = await createActiveServer(own.client, { hostname: "nosweep01" });
      const template = await captureTemplate(own.client, server.id, "nosweep-image");
      // As if the time passed while no runner swept: the row still says ACTIVE.
      await own.app.domain.deps.db.imageTemplate.update({ where: { id: rawId(template.id) }, data: { obsoleteAt: new Date(Date.now() - 1000) } });
      const refused = (await own.client.query(DEPLOY_WITH_WARNINGS, { input: { imageTemplateId: template.id, hostname: "nosweep02", domain: "example.com" } })).deployImageTemplate;
      expect(refused).toMatchObject({ __typename: "ObsoleteImageTemplateError", replacement: null });
      expect(refused.message).toMatch(/it names no replacement$/);
      // The refusal rolled its transaction back, settling included; the sweep would write it.
      expect((await own.client.query(TEMPLATE, { id: template.id })).node.status).toBe("ACTIVE");
    } finally {
      await own.stop();
    }
  });
});

describe("retirement times ahead", () => {
  it("take effect by themselves, and a restart does not lose them", async () => {
    const dataDir = tempDataDir();
    let own = await startTestApp({ dataDir });
    try {
      const server = await createActiveServer(own.client, { hostname: "later01" });
      const template = await captureTemplate(own.client, server.id, "later-image");
      const deprecateAt = later(1_500);
      const obsoleteAt = later(3_000);
      const set = (await own.client.query(DEPRECATE, { input: { id: template.id, deprecateAt, obsoleteAt } })).deprecateImageTemplate;
      expect(set.imageTemplate).toMatchObject({ status: "ACTIVE", deprecateAt, obsoleteAt });
      // Stopped before either time: the next instance on the same data applies them.
      const token = own.client.token!;
      await own.stop({ keepData: true });
      own = await startTestApp({ dataDir });
      const client = new GraphQLClient(own.url, token);
      const status = async () => (await client.query(TEMPLATE, { id: template.id })).node.status;
      await until(async () => (await status()) === "DEPRECATED", "the deprecation time taking effect", 20_000);
      expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(deprecateAt));
      await until(async () => (await status()) === "OBSOLETE", "the obsolescence time taking effect", 20_000);
      expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(obsoleteAt));
    } finally {
      await own.stop();
    }
  });
});

describe("deprecating", () => {
  it("names the field of bad input and the state in the way", async () => {
    const template = await newTemplate();
    const failed = await t.app.domain.deps.db.imageTemplate.create({
      data: { id: "img_failedone", accountId: (await t.app.domain.deps.db.imageTemplate.findUniqueOrThrow({ where: { id: rawId(template.id) } })).accountId, globalIdentifier: "g-failed", name: "failed-one", status: "FAILED" },
    });
    const cases: Array<[Record<string, unknown>, string, string]> = [
      [{ id: template.id, deprecateAt: later(60_000), obsoleteAt: later(1_000) }, "ValidationError", "obsoleteAt"],
      [{ id: template.id, replacementId: template.id }, "ValidationError", "replacementId"],
      [{ id: template.id, replacementId: globalId("ImageTemplate", "img_nosuch") }, "NotFoundError", "replacementId"],
    ];
    for (const [input, type, field] of cases) {
      const result = (await t.client.query(DEPRECATE, { input })).deprecateImageTemplate;
      expect(result.__typename).toBe(type);
      expect(result.fields?.[0]?.field ?? result.field).toBe(field);
    }
    const globalFailed = globalId("ImageTemplate", failed.id);
    const refused = (await t.client.query(DEPRECATE, { input: { id: globalFailed } })).deprecateImageTemplate;
    expect(refused).toMatchObject({ __typename: "ConflictError", state: "FAILED" });
    const asReplacement = (await t.client.query(DEPRECATE, { input: { id: template.id, replacementId: globalFailed } })).deprecateImageTemplate;
    expect(asReplacement).toMatchObject({ __typename: "ValidationError", fields: [{ field: "replacementId" }] });
    expect(await statusOf(template.id)).toBe("ACTIVE");
  });
});

describe("protection and usage", () => {
  it("refuses to delete a protected template until protection is cleared", async () => {
    const template = await newTemplate();
    expect((await t.client.query(UPDATE, { input: { id: template.id, protected: true } })).updateImageTemplate.imageTemplate).toEqual({ protected: true });
    const refused = (await t.client.query(DELETE, { id: template.id })).deleteImageTemplate;
    expect(refused).toMatchObject({ __typename: "ConflictError", state: "PROTECTED" });
    expect(refused.message).toMatch(/protected/);
    expect(await statusOf(template.id)).toBe("ACTIVE");
    await t.client.query(UPDATE, { input: { id: template.id, protected: false } });
    const deleted = (await t.client.query(DELETE, { id: template.id })).deleteImageTemplate;
    expect((await waitForOperation(t.client, deleted.operation.id)).status).toBe("SUCCEEDED");
  });

  it("counts the deploys that succeeded, and when the last did", async () => {
    const template = await newTemplate();
    expect((await t.client.query(USAGE, { id: template.id })).node).toEqual({ status: "ACTIVE", deploymentCount: 0, lastDeployedAt: null });
    for (const hostname of ["use01", "use02"]) {
      const result = (await t.client.query(DEPLOY, { input: { imageTemplateId: template.id, hostname, domain: "example.com" } })).deployImageTemplate;
      expect((await waitForOperation(t.client, result.operation.id)).status).toBe("SUCCEEDED");
    }
    // A refused deploy (too small a volume) is no deployment.
    const refused = (await t.client.query(DEPLOY, { input: { imageTemplateId: template.id, hostname: "use03", domain: "example.com", volumes: [{ index: 0, capacityGb: 1 }] } })).deployImageTemplate;
    expect(refused.__typename).toBe("ValidationError");
    const usage = (await t.client.query(USAGE, { id: template.id })).node;
    expect(usage.deploymentCount).toBe(2);
    expect(Date.now() - Date.parse(usage.lastDeployedAt)).toBeLessThan(60_000);
  });
});
