// The GraphQL-over-HTTP spec audits of the graphql-http package, run against the real server.
import { serverAudits } from "graphql-http";
import { afterAll, beforeAll, describe, it } from "vitest";
import { startTestApp, type TestApp } from "./helpers/app.js";

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
      // MUST audits have to pass; SHOULD and MAY ones are reported as warnings by graphql-http.
      if (result.status === "error") throw new Error(`${result.reason}: ${JSON.stringify(result.response?.status)}`);
    });
  }
});
