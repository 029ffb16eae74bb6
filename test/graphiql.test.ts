// GraphiQL at /graphql, with its assets inlined (no CDN) and, in development, the demo
// token filled in; the demo data of a first start.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "./helpers/app.js";
import { GraphQLClient } from "./helpers/clients.js";

const TOKEN = "imp_graphiql-test-token-0123";
let t: TestApp;

beforeAll(async () => {
  t = await startTestApp({ env: { NODE_ENV: "development", IMPRINT_SEED_DEMO: "true", IMPRINT_DEMO_TOKEN: TOKEN } });
});
afterAll(async () => {
  await t.stop();
});

describe("GraphiQL", () => {
  it("is served to browsers with bundled assets and the demo token", async () => {
    const response = await fetch(t.url, { headers: { accept: "text/html" } });
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain("imprint");
    expect(html).toContain(`Bearer ${TOKEN}`);
    expect(html).not.toMatch(/<script[^>]+src="https?:/);
    expect(html).not.toMatch(/<link[^>]+href="https?:/);
    expect(html.length).toBeGreaterThan(1_000_000);
  });
});

describe("first start", () => {
  it("creates a demo account with virtual and bare metal servers in two datacenters", async () => {
    const client = new GraphQLClient(t.url, TOKEN);
    const { servers } = await client.query(`{ servers(first: 50) { edges { node { kind datacenter volumes { role } latestOperation { kind } } } } }`);
    const nodes = servers.edges.map((e: any) => e.node);
    expect(nodes.filter((n: any) => n.kind === "VIRTUAL").length).toBeGreaterThanOrEqual(2);
    expect(nodes.filter((n: any) => n.kind === "BARE_METAL")).toHaveLength(1);
    expect(new Set(nodes.map((n: any) => n.datacenter)).size).toBeGreaterThanOrEqual(2);
    expect(nodes.some((n: any) => n.kind === "VIRTUAL" && n.volumes.some((v: any) => v.role === "DATA"))).toBe(true);
    expect(nodes.every((n: any) => n.latestOperation.kind === "PROVISION")).toBe(true);
  });
});
