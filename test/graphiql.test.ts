// GraphiQL at /graphql, with its assets inlined (no CDN) and, in development, the demo
// token filled in; the demo data of a first start.
import { request } from "node:http";
import { networkInterfaces } from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "./helpers/app.ts";
import { GraphQLClient } from "./helpers/clients.ts";

const TOKEN = "imp_graphiql-test-token-0123";
/** A non-loopback address of this machine to connect from, as another host would. */
const EXTERNAL = Object.values(networkInterfaces()).flat().find((address) => address && address.family === "IPv4" && !address.internal)?.address;
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
  it("is sent compressed with an ETag, and a revalidation costs a 304, not the page", async () => {
    const first = await fetch(t.url, { headers: { accept: "text/html", "accept-encoding": "gzip" } });
    expect(first.headers.get("content-encoding")).toBe("gzip");
    const etag = first.headers.get("etag");
    expect(etag).toMatch(/^"[0-9a-f]{32}"$/);
    const compressed = Number(first.headers.get("content-length") ?? (await first.arrayBuffer()).byteLength);
    expect(compressed).toBeLessThan(3 * 1024 * 1024);
    const again = await fetch(t.url, { headers: { accept: "text/html", "if-none-match": etag! } });
    expect(again.status).toBe(304);
    expect((await again.arrayBuffer()).byteLength).toBe(0);
  });

  it.skipIf(!EXTERNAL)("carries the demo token only to this machine (loopback), never to another address", async () => {
    const external = EXTERNAL!;
    const port = new URL(t.url).port;
    const html = await new Promise<string>((resolve, reject) => {
      // Bound to the machine's own non-loopback address, as another host would arrive.
      const req = request({ host: "127.0.0.1", port, path: "/graphql", localAddress: external, headers: { accept: "text/html" } }, (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk) => (body += chunk));
        res.on("end", () => resolve(body));
      });
      req.on("error", reject);
      req.end();
    });
    expect(html).toContain("imprint");
    expect(html).not.toContain(TOKEN);
  });

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
