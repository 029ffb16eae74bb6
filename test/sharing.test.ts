// Sharing templates between accounts over the real API: the receiver reads and deploys a shared
// template and does nothing else with it, never sees the owner's servers or operations;
// unsharing stops its new deploys at once while its servers keep working; a shared template
// cannot be deleted.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "./helpers/app.ts";
import type { GraphQLClient } from "./helpers/clients.ts";
import { captureTemplate, createActiveServer, ERROR_FIELDS, waitForOperation } from "./helpers/documents.ts";
import { globalId } from "./helpers/store.ts";

const VIEWER_ID = `{ viewer { id } }`;
const SHARE = (verb: "share" | "unshare") => `mutation($input: ${verb === "share" ? "Share" : "Unshare"}ImageTemplateInput!) { ${verb}ImageTemplate(input: $input) {
  __typename ... on ${verb === "share" ? "Share" : "Unshare"}ImageTemplatePayload { imageTemplate { id sharedWith } } ${ERROR_FIELDS}
} }`;
const SEEN = `query($id: ID!) { node(id: $id) { ... on ImageTemplate { id name status sourceServer { id } captureOperation { id } sharedWith } } }`;
const SHARED = `{ sharedImageTemplates { totalCount edges { node { id name } } } }`;
const DEPLOY = `mutation($input: DeployImageTemplateInput!) { deployImageTemplate(input: $input) {
  __typename ... on DeployImageTemplatePayload { server { id sourceImageTemplate { id } } operation { id } } ${ERROR_FIELDS}
} }`;
const SERVER = `query($id: ID!) { node(id: $id) { ... on Server { status powerState sourceImageTemplate { id } } } }`;

let t: TestApp;
let owner: GraphQLClient;
let partner: GraphQLClient;
let stranger: GraphQLClient;
let partnerId: string;
let source: { id: string };
let template: { id: string; name: string };

beforeAll(async () => {
  t = await startTestApp();
  owner = t.client;
  partner = await t.newAccount("partner");
  stranger = await t.newAccount("stranger");
  partnerId = (await partner.query(VIEWER_ID)).viewer.id;
  source = await createActiveServer(owner, { hostname: "golden01" });
  template = await captureTemplate(owner, source.id, "shared-golden");
});
afterAll(async () => t.stop());

const share = async (verb: "share" | "unshare", input: Record<string, unknown>) => (await owner.query(SHARE(verb), { input }))[`${verb}ImageTemplate`];
const deployAs = async (client: GraphQLClient, hostname: string) =>
  (await client.query(DEPLOY, { input: { imageTemplateId: template.id, hostname, domain: "partner.example.com" } })).deployImageTemplate;

describe("a shared template", () => {
  it("is read and deployed by the account it is shared with, which sees nothing else of the owner's", async () => {
    expect(partnerId).toBe(globalId("Account", (await t.app.domain.deps.db.account.findFirstOrThrow({ where: { name: "partner" } })).id));
    expect((await share("share", { id: template.id, accountId: partnerId })).imageTemplate.sharedWith).toEqual([partnerId]);
    // Sharing again changes nothing.
    expect((await share("share", { id: template.id, accountId: partnerId })).imageTemplate.sharedWith).toEqual([partnerId]);

    expect((await partner.query(SHARED)).sharedImageTemplates).toEqual({ totalCount: 1, edges: [{ node: { id: template.id, name: template.name } }] });
    expect((await partner.query(SEEN, { id: template.id })).node).toEqual({ id: template.id, name: template.name, status: "ACTIVE", sourceServer: null, captureOperation: null, sharedWith: [] });
    expect((await stranger.query(SEEN, { id: template.id })).node).toBeNull();
    expect((await stranger.query(SHARED)).sharedImageTemplates.totalCount).toBe(0);

    const deployed = await deployAs(partner, "p01");
    expect(deployed.__typename).toBe("DeployImageTemplatePayload");
    expect((await waitForOperation(partner, deployed.operation.id)).status).toBe("SUCCEEDED");
    expect((await partner.query(SERVER, { id: deployed.server.id })).node).toMatchObject({ status: "ACTIVE", sourceImageTemplate: { id: template.id } });
    // The owner does not see the partner's server, nor the partner the owner's.
    expect((await owner.query(SERVER, { id: deployed.server.id })).node).toBeNull();
    expect((await partner.query(SERVER, { id: source.id })).node).toBeNull();
    expect(await deployAs(stranger, "s01")).toMatchObject({ __typename: "NotFoundError", field: "imageTemplateId" });
  });

  it("cannot be changed, shared, copied, verified or deleted by the account it is shared with", async () => {
    await share("share", { id: template.id, accountId: partnerId });
    const strangerId = (await stranger.query(VIEWER_ID)).viewer.id;
    const attempts: Array<[string, string, Record<string, unknown>]> = [
      ["updateImageTemplate", "UpdateImageTemplateInput", { id: template.id, name: "taken-over" }],
      ["deprecateImageTemplate", "DeprecateImageTemplateInput", { id: template.id }],
      ["deleteImageTemplate", "DeleteImageTemplateInput", { id: template.id }],
      ["verifyImageTemplate", "VerifyImageTemplateInput", { id: template.id }],
      ["addImageTemplateDatacenters", "AddImageTemplateDatacentersInput", { id: template.id, datacenters: ["fra02"] }],
      ["shareImageTemplate", "ShareImageTemplateInput", { id: template.id, accountId: strangerId }],
    ];
    for (const [mutation, input, variables] of attempts) {
      const result = (await partner.query(`mutation($input: ${input}!) { ${mutation}(input: $input) { __typename ${ERROR_FIELDS} } }`, { input: variables }))[mutation];
      expect({ mutation, result }).toMatchObject({ mutation, result: { __typename: "NotFoundError", field: "id" } });
    }
    expect((await owner.query(SEEN, { id: template.id })).node).toMatchObject({ name: template.name, status: "ACTIVE", sharedWith: [partnerId] });
  });

  it("cannot be deleted by its owner while shared: the refusal says with how many accounts", async () => {
    await share("share", { id: template.id, accountId: partnerId });
    const refused = (await owner.query(`mutation($id: ID!) { deleteImageTemplate(input: { id: $id }) { __typename ${ERROR_FIELDS} } }`, { id: template.id })).deleteImageTemplate;
    expect(refused).toMatchObject({ __typename: "ConflictError", state: "SHARED" });
    expect(refused.message).toMatch(/shared with 1 account\(s\)/);
  });

  it("stops deploying for the account once unshared; the servers it deployed keep working", async () => {
    await share("share", { id: template.id, accountId: partnerId });
    const deployed = await deployAs(partner, "p02");
    expect((await waitForOperation(partner, deployed.operation.id)).status).toBe("SUCCEEDED");
    expect((await share("unshare", { id: template.id, accountId: partnerId })).imageTemplate.sharedWith).toEqual([]);

    expect(await deployAs(partner, "p03")).toMatchObject({ __typename: "NotFoundError", field: "imageTemplateId" });
    expect((await partner.query(SEEN, { id: template.id })).node).toBeNull();
    expect((await partner.query(SHARED)).sharedImageTemplates.totalCount).toBe(0);
    const off = (await partner.query(`mutation($id: ID!) { powerOffServer(input: { id: $id }) { __typename ... on PowerOffServerPayload { operation { id } } } }`, { id: deployed.server.id })).powerOffServer;
    expect((await waitForOperation(partner, off.operation.id)).status).toBe("SUCCEEDED");
    expect((await partner.query(SERVER, { id: deployed.server.id })).node).toEqual({ status: "ACTIVE", powerState: "HALTED", sourceImageTemplate: null });
  });

  it("gives out account IDs that read as nothing by node and nodes", async () => {
    const { nodes } = await owner.query(`query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }`, { ids: [source.id, partnerId, template.id] });
    expect(nodes).toEqual([{ __typename: "Server", id: source.id }, null, { __typename: "ImageTemplate", id: template.id }]);
    expect((await owner.query(`query($id: ID!) { node(id: $id) { id } }`, { id: partnerId })).node).toBeNull();
  });

  it("names the field when the account is this one or does not exist", async () => {
    const ownId = (await owner.query(VIEWER_ID)).viewer.id;
    expect(await share("share", { id: template.id, accountId: ownId })).toMatchObject({ __typename: "ValidationError", fields: [{ field: "accountId" }] });
    expect(await share("share", { id: template.id, accountId: globalId("Account", "acc_nosuchaccount") })).toMatchObject({ __typename: "NotFoundError", field: "accountId" });
    expect(await share("share", { id: template.id, accountId: template.id })).toMatchObject({ __typename: "ValidationError", fields: [{ field: "accountId" }] });
  });
});
