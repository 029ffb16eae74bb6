// Families: deploys and reloads by family take its newest ACTIVE template; a family's view; a
// retention policy that, after each capture, deprecates or deletes what is older than the
// newest N, never a protected template, each action in the audit trail.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "./helpers/app.ts";
import { CAPTURE, createActiveServer, ERROR_FIELDS, waitForOperation } from "./helpers/documents.ts";
import { rawId } from "./helpers/store.ts";
import { until } from "./helpers/wait.ts";

const DEPLOY = `mutation($input: DeployImageTemplateInput!) { deployImageTemplate(input: $input) {
  __typename ... on DeployImageTemplatePayload { server { id sourceImageTemplate { id } } operation { id } } ${ERROR_FIELDS}
} }`;
const RELOAD = `mutation($input: ReloadServerInput!) { reloadServer(input: $input) {
  __typename ... on ReloadServerPayload { server { id } operation { id } } ${ERROR_FIELDS}
} }`;
const FAMILY = `query($name: String!) { imageTemplateFamily(name: $name) {
  name latest { id } templates { id status replacement { id } } retention { keep action }
} }`;
const RETENTION = `mutation($input: SetImageTemplateFamilyRetentionInput!) { setImageTemplateFamilyRetention(input: $input) {
  __typename ... on SetImageTemplateFamilyRetentionPayload { family { name retention { keep action } } } ${ERROR_FIELDS}
} }`;
const DEPRECATE = `mutation($id: ID!) { deprecateImageTemplate(input: { id: $id }) { __typename } }`;
const PROTECT = `mutation($id: ID!) { updateImageTemplate(input: { id: $id, protected: true }) { __typename } }`;
const AUDIT = `{ auditEvents(first: 100) { edges { node { action target outcome tokenId } } } }`;

let t: TestApp;
let source: { id: string };

beforeAll(async () => {
  t = await startTestApp();
  source = await createActiveServer(t.client, { hostname: "golden01" });
});
afterAll(async () => t.stop());

/** Captures the source server into `family`, waiting for the template to be ACTIVE. */
async function captureInto(family: string, name: string): Promise<string> {
  const result = (await t.client.query(CAPTURE, { input: { serverId: source.id, name, family } })).captureImageTemplate;
  expect(result.__typename).toBe("CaptureImageTemplatePayload");
  expect((await waitForOperation(t.client, result.operation.id)).status).toBe("SUCCEEDED");
  return result.imageTemplate.id;
}

const family = async (name: string) => (await t.client.query(FAMILY, { name })).imageTemplateFamily;

describe("a family", () => {
  it("deploys and reloads its newest ACTIVE template, passing over a deprecated one", async () => {
    const first = await captureInto("web", "web-1");
    const second = await captureInto("web", "web-2");
    const deployed = (await t.client.query(DEPLOY, { input: { family: "web", hostname: "fam01", domain: "example.com" } })).deployImageTemplate;
    expect(deployed.server.sourceImageTemplate.id).toBe(second);
    expect((await waitForOperation(t.client, deployed.operation.id)).status).toBe("SUCCEEDED");

    expect((await t.client.query(DEPRECATE, { id: second })).deprecateImageTemplate.__typename).toBe("DeprecateImageTemplatePayload");
    expect((await family("web")).latest).toEqual({ id: first });
    const reloaded = (await t.client.query(RELOAD, { input: { serverId: deployed.server.id, family: "web" } })).reloadServer;
    expect(reloaded.__typename).toBe("ReloadServerPayload");
    expect((await waitForOperation(t.client, reloaded.operation.id)).status).toBe("SUCCEEDED");
    const server = await t.app.domain.deps.db.server.findUniqueOrThrow({ where: { id: rawId(deployed.server.id) } });
    expect(server.sourceImageTemplateId).toBe(rawId(first));

    const view = await family("web");
    expect(view).toMatchObject({ name: "web", retention: null });
    expect(view.templates.map((tpl: any) => tpl.id)).toEqual([second, first]);
  });

  it("takes, into a datacenter named, the newest ACTIVE template available there", async () => {
    const older = await captureInto("edge", "edge-1");
    const newer = await captureInto("edge", "edge-2");
    const copy = (await t.client.query(`mutation($id: ID!) { addImageTemplateDatacenters(input: { id: $id, datacenters: ["fra02"] }) { ... on AddImageTemplateDatacentersPayload { operation { id } } } }`, { id: older })).addImageTemplateDatacenters;
    expect((await waitForOperation(t.client, copy.operation.id)).status).toBe("SUCCEEDED");
    const into = async (datacenter: string | null, hostname: string) =>
      (await t.client.query(DEPLOY, { input: { family: "edge", hostname, domain: "example.com", ...(datacenter ? { datacenter } : {}) } })).deployImageTemplate;
    expect((await into("fra02", "edge01")).server.sourceImageTemplate.id).toBe(older);
    expect((await into(null, "edge02")).server.sourceImageTemplate.id).toBe(newer);
    const nowhere = await into("tok05", "edge03");
    expect(nowhere).toMatchObject({ __typename: "ValidationError", fields: [{ field: "family", message: 'the family "edge" has no ACTIVE image template available in tok05' }] });
  });

  it("names the field when the choice of template is wrong", async () => {
    const cases: Array<[Record<string, unknown>, string, RegExp]> = [
      [{ family: "web", imageTemplateId: Buffer.from("ImageTemplate:img_x").toString("base64") }, "family", /not both/],
      [{}, "imageTemplateId", /imageTemplateId or family/],
      [{ family: "nothing-here" }, "family", /no ACTIVE image template/],
    ];
    for (const [choice, field, message] of cases) {
      const result = (await t.client.query(DEPLOY, { input: { ...choice, hostname: "bad01", domain: "example.com" } })).deployImageTemplate;
      expect(result).toMatchObject({ __typename: "ValidationError", fields: [{ field }] });
      expect(result.fields[0].message).toMatch(message);
    }
    const badName = (await t.client.query(CAPTURE, { input: { serverId: source.id, name: "bad-family", family: "Web_1" } })).captureImageTemplate;
    expect(badName).toMatchObject({ __typename: "ValidationError", fields: [{ field: "family" }] });
    expect(await family("nothing-here")).toBeNull();
  });
});

describe("a retention policy", () => {
  it("deprecates what is older than the newest N after each capture, naming the newest, never a protected template", async () => {
    const oldest = await captureInto("db", "db-1");
    const kept = await captureInto("db", "db-2");
    expect((await t.client.query(PROTECT, { id: oldest })).updateImageTemplate.__typename).toBe("UpdateImageTemplatePayload");
    const set = (await t.client.query(RETENTION, { input: { family: "db", keep: 1 } })).setImageTemplateFamilyRetention;
    expect(set.family).toEqual({ name: "db", retention: { keep: 1, action: "DEPRECATE" } });
    // Applied at once: db-1 is protected and stays ACTIVE; nothing else is older than db-2.
    const statuses = async () => Object.fromEntries((await family("db")).templates.map((tpl: any) => [tpl.id, tpl]));
    expect((await statuses())[oldest].status).toBe("ACTIVE");
    expect((await statuses())[kept].status).toBe("ACTIVE");

    const newest = await captureInto("db", "db-3");
    await until(async () => (await statuses())[kept].status === "DEPRECATED", "db-2 deprecated after the capture of db-3", 20_000);
    const after = await statuses();
    expect(after[kept].replacement).toEqual({ id: newest });
    expect(after[oldest].status).toBe("ACTIVE");
    expect(after[newest].status).toBe("ACTIVE");

    // What the policy did to this family's templates (other tests' families have their own).
    const events = (await t.client.query(AUDIT)).auditEvents.edges.map((e: any) => e.node);
    const mine = new Set([oldest, kept, newest].map(rawId));
    const retention = events.filter((event: any) => event.action.startsWith("retention:") && mine.has(event.target));
    expect(retention).toEqual([{ action: "retention:deprecateImageTemplate", target: rawId(kept), outcome: "OK", tokenId: Buffer.from("ApiToken:retention").toString("base64") }]);
  });

  it("deletes what is older than the newest N, through DELETE_TEMPLATE operations", async () => {
    const first = await captureInto("batch", "batch-1");
    const second = await captureInto("batch", "batch-2");
    await t.client.query(RETENTION, { input: { family: "batch", keep: 1, action: "DELETE" } });
    // The row goes before its operation ends: wait for both.
    await until(async () => !(await t.app.domain.deps.db.imageTemplate.findUnique({ where: { id: rawId(first) } })), "batch-1 deleted", 20_000);
    const deletion = await until(
      () => t.app.domain.deps.db.operation.findFirst({ where: { kind: "DELETE_TEMPLATE", imageTemplateId: null, status: "SUCCEEDED" } }),
      "the DELETE_TEMPLATE operation of batch-1 SUCCEEDED",
      20_000,
    );
    expect(deletion.kind).toBe("DELETE_TEMPLATE");
    const events = (await t.client.query(AUDIT)).auditEvents.edges.map((e: any) => e.node);
    expect(events.filter((event: any) => event.target === rawId(first))).toEqual([
      { action: "retention:deleteImageTemplate", target: rawId(first), outcome: "OK", tokenId: Buffer.from("ApiToken:retention").toString("base64") },
    ]);
    expect((await family("batch")).templates.map((tpl: any) => tpl.id)).toEqual([second]);
  });

  it("names the field of a policy it cannot take", async () => {
    for (const [input, field] of [[{ family: "db", keep: 0 }, "keep"], [{ family: "Bad Name", keep: 2 }, "family"]] as const) {
      const result = (await t.client.query(RETENTION, { input })).setImageTemplateFamilyRetention;
      expect(result).toMatchObject({ __typename: "ValidationError", fields: [{ field }] });
    }
  });
});
