// The audit trail over the real API: every mutation, allowed or refused, with its token,
// target and outcome, readable only by the account's ADMIN.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "./helpers/app.ts";
import { GraphQLClient } from "./helpers/clients.ts";
import { createServer, ERROR_FIELDS } from "./helpers/documents.ts";

const AUDIT = `{ auditEvents(first: 10) { totalCount edges { node { action target outcome tokenId createdAt } } } }`;
const DELETE = `mutation($id: ID!) { deleteServer(input: { id: $id }) { __typename ${ERROR_FIELDS} } }`;

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.stop());

describe("auditEvents", () => {
  it("records each mutation's token, target and outcome, newest first, for the ADMIN only", async () => {
    const made = (await t.client.query(`mutation { createApiToken(input: { name: "reader", role: VIEWER }) { ... on CreateApiTokenPayload { secret apiToken { id } } } }`)).createApiToken;
    const viewer = new GraphQLClient(t.url, made.secret);
    const { server } = await createServer(t.client, { hostname: "audit01" });
    expect((await viewer.query(DELETE, { id: server.id })).deleteServer.__typename).toBe("ForbiddenError");
    const missing = Buffer.from("Server:srv_01a2ffffffffffffffffff").toString("base64");
    expect((await t.client.query(DELETE, { id: missing })).deleteServer.__typename).toBe("NotFoundError");

    const { auditEvents } = await t.client.query(AUDIT);
    const events = auditEvents.edges.map((edge: any) => edge.node);
    expect(auditEvents.totalCount).toBe(4);
    expect(events.map((e: any) => [e.action, e.target, e.outcome])).toEqual([
      ["deleteServer", missing, "NOT_FOUND"],
      ["deleteServer", server.id, "FORBIDDEN"],
      ["createServer", server.id, "OK"],
      ["createApiToken", made.apiToken.id, "OK"],
    ]);
    expect(events[1].tokenId).toBe(made.apiToken.id);
    expect(events[0].tokenId).not.toBe(made.apiToken.id);

    const refused = await viewer.raw(AUDIT);
    expect(refused.body.errors?.[0].extensions).toMatchObject({ code: "FORBIDDEN" });
    const stranger = await t.newAccount();
    expect((await stranger.query(AUDIT)).auditEvents.totalCount).toBe(0);
  });
});
