// The GraphQL-over-HTTP spec audits of the graphql-http package, run against the real server.
import { serverAudits } from "graphql-http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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
      // Every audit, MUST, SHOULD and MAY alike: all pass today, so any regression is red.
      expect(result.status, result.status === "ok" ? "" : `${result.reason} (HTTP ${result.response?.status})`).toBe("ok");
    });
  }
});
