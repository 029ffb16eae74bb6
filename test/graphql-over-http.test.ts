// The GraphQL-over-HTTP spec audits of the graphql-http package, run against the real server.
import { serverAudits } from "graphql-http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "./helpers/app.ts";
import { serverInput } from "./helpers/documents.ts";

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t.stop();
});

describe("GraphQL over HTTP", () => {
  const audits = serverAudits({
    url: () => t.url,
    fetchFn: (input: RequestInfo | URL, init?: RequestInit) => {
      const headers = new Headers(init?.headers);
      headers.set("authorization", `Bearer ${t.client.token}`);
      return fetch(input, { ...init, headers });
    },
  });
  for (const audit of audits) {
    it(`${audit.id} ${audit.name}`, async () => {
      const result = await audit.fn();
      // Every audit, MUST, SHOULD and MAY alike: all pass today, so any regression is red.
      expect(result.status, result.status === "ok" ? "" : `${result.reason} (HTTP ${result.response?.status})`).toBe("ok");
    });
  }
});

// Queries run compiled by graphql-jit (graphql/jit.ts); these are the cases it must stay away from.
describe("compiled queries", () => {
  const post = (body: object) =>
    fetch(t.url, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${t.client.token}` }, body: JSON.stringify(body) }).then((r) => r.json());

  it("run the operation named in a document of several, each time", async () => {
    const query = `query Name { viewer { name } } query Role { viewer { role } }`;
    expect(await post({ query, operationName: "Name" })).toMatchObject({ data: { viewer: { name: "main" } } });
    expect(await post({ query, operationName: "Role" })).toMatchObject({ data: { viewer: { role: "ADMIN" } } });
    expect(await post({ query, operationName: "Name" })).toMatchObject({ data: { viewer: { name: "main" } } });
  });

  it("leave mutations to graphql-js, which applies an input object's default values from variables", async () => {
    const { kind, ...input } = serverInput({ hostname: "jit01" });
    expect(kind).toBe("VIRTUAL"); // the default, left out of the variables
    const { data } = await post({ query: `mutation($input: CreateServerInput!) { createServer(input: $input) { __typename ... on CreateServerPayload { server { kind } } } }`, variables: { input } });
    expect(data.createServer).toEqual({ __typename: "CreateServerPayload", server: { kind: "VIRTUAL" } });
  });
});
