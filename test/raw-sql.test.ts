// The hottest reads are raw SQL (db/raw-sql.ts). They must give exactly what Prisma's model
// queries give: the same rows, the same JavaScript types (Date, bigint, boolean), the same
// filters and pages.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Viewer } from "../src/domain/index.ts";
import { startTestApp, type TestApp } from "./helpers/app.ts";
import { onSqlite } from "./helpers/database.ts";
import { GraphQLClient } from "./helpers/clients.ts";
import { DEPLOY, captureTemplate, createActiveServer, waitForOperation } from "./helpers/documents.ts";

let t: TestApp;
let viewer: Viewer;
/** The statements the app ran, in order. */
const statements: string[] = [];

beforeAll(async () => {
  t = await startTestApp({ db: { onStatement: (text) => statements.push(text) } });
  const { token } = await t.app.domain.accounts.create("raw-sql");
  viewer = (await t.app.domain.accounts.authenticate(token))!;
  const client = new GraphQLClient(t.url, token);
  const web = await createActiveServer(client, { hostname: "web01", datacenter: "dal10" });
  const other = await createActiveServer(client, { hostname: "web02", datacenter: "fra02" });
  await createActiveServer(client, { hostname: "db01", datacenter: "dal10" });
  await captureTemplate(client, web.id, "raw-sql-template");
  await captureTemplate(client, other.id, "other_image");
  // Another account's rows must never come back.
  await createActiveServer(t.client, { hostname: "web03", datacenter: "dal10" });
});
afterAll(async () => {
  await t.stop();
});

const db = () => t.app.domain.deps.db;

describe("raw SQL reads", () => {
  it("return the rows Prisma returns, with the same types", async () => {
    const servers = await db().server.findMany({ where: { accountId: viewer.accountId }, orderBy: { id: "asc" } });
    const ids = servers.map((s) => s.id);
    expect(ids).toHaveLength(3);
    expect(await t.app.domain.servers.loadMany(viewer, ids)).toEqual(servers);
    expect((await t.app.domain.servers.list(viewer, { first: 10 })).items).toEqual(servers);
    expect((await t.app.domain.servers.list(viewer, { first: 10 }, {}, ["id", "hostname", "createdAt"])).items).toEqual(
      servers.map(({ id, hostname, createdAt }) => ({ id, hostname, createdAt })),
    );
    // A name that is not a column (a field declaring a computed property) reads whole rows.
    expect((await t.app.domain.servers.list(viewer, { first: 10 }, {}, ["id", "notAColumn" as "id"])).items).toEqual(servers);
    expect(await t.app.domain.servers.volumesOf(ids)).toEqual(
      await db().volume.findMany({
        where: { serverId: { in: ids } },
        orderBy: [{ serverId: "asc" }, { index: "asc" }],
        select: { serverId: true, index: true, role: true, capacityGb: true },
      }),
    );
    const templates = await db().imageTemplate.findMany({ where: { accountId: viewer.accountId }, orderBy: { id: "asc" } });
    expect(templates).toHaveLength(2);
    expect(await t.app.domain.templates.loadMany(viewer, templates.map((tpl) => tpl.id))).toEqual(templates);
    expect((await t.app.domain.templates.list(viewer, { first: 10 })).items).toEqual(templates);
    expect((await t.app.domain.templates.list(viewer, { first: 10 }, {}, ["id", "name", "sizeBytes"])).items).toEqual(
      templates.map(({ id, name, sizeBytes }) => ({ id, name, sizeBytes })),
    );
    const operations = await db().operation.findMany({ where: { accountId: viewer.accountId }, orderBy: { id: "asc" } });
    expect(typeof operations[0].bytesTotal).toBe("bigint");
    expect(typeof operations[0].cancelRequested).toBe("boolean");
    const loaded = await t.app.domain.operations.loadMany(viewer, operations.map((op) => op.id));
    expect(loaded.map((op) => op?.id)).toEqual(operations.map((op) => op.id));
    const latest = await t.app.domain.operations.latestForServers(ids);
    const expected = ids.map((id) => operations.filter((op) => op.serverId === id).at(-1)!.id);
    expect(latest.map((op) => op?.id)).toEqual(expected);
    expect(latest.find((op) => op?.kind === "CAPTURE")).toBeDefined();
  });

  it("answer nothing for no ids and for another account's ids", async () => {
    const theirs = (await db().server.findMany({ where: { NOT: { accountId: viewer.accountId } } })).map((s) => s.id);
    expect(theirs.length).toBeGreaterThan(0);
    expect(await t.app.domain.servers.loadMany(viewer, [])).toEqual([]);
    expect(await t.app.domain.servers.volumesOf([])).toEqual([]);
    expect(await t.app.domain.operations.latestForServers([])).toEqual([]);
    expect(await t.app.domain.servers.loadMany(viewer, theirs)).toEqual(theirs.map(() => null));
  });

  it("filter and page servers as Prisma's where-clauses do", async () => {
    const all = await db().server.findMany({ where: { accountId: viewer.accountId }, orderBy: { id: "asc" } });
    const list = async (filter: object, first = 10, afterId?: string) =>
      (await t.app.domain.servers.list(viewer, { first, afterId }, filter)).items.map((s) => s.hostname);
    expect(await list({ datacenter: "dal10" })).toEqual(["web01", "db01"]);
    expect(await list({ hostnameContains: "web" })).toEqual(["web01", "web02"]);
    expect(await list({ hostnameContains: "WEB" })).toEqual(["web01", "web02"]); // case is ignored on every database
    expect(await list({ hostnameContains: "%" })).toEqual([]); // literal, not a wildcard
    expect(await list({ hostnameContains: "w_b" })).toEqual([]);
    expect(await list({ status: ["ACTIVE"], kind: "VIRTUAL", datacenter: "fra02" })).toEqual(["web02"]);
    expect(await list({ status: ["FAILED", "DELETING"] })).toEqual([]);
    const page = await t.app.domain.servers.list(viewer, { first: 2 });
    expect(page.hasNextPage).toBe(true);
    expect(await page.totalCount()).toBe(3);
    expect(await list({}, 2, all[1].id)).toEqual([all[2].hostname]);
    const filtered = await t.app.domain.servers.list(viewer, { first: 1 }, { datacenter: "dal10" });
    expect(await filtered.totalCount()).toBe(2);
  });

  it("filter and page templates as Prisma's where-clauses do", async () => {
    const all = await db().imageTemplate.findMany({ where: { accountId: viewer.accountId }, orderBy: { id: "asc" } });
    const list = async (filter: object, first = 10, afterId?: string) =>
      (await t.app.domain.templates.list(viewer, { first, afterId }, filter)).items.map((tpl) => tpl.name);
    expect(await list({})).toEqual(["raw-sql-template", "other_image"]);
    expect(await list({ nameContains: "RAW-sql" })).toEqual(["raw-sql-template"]); // as SQLite's LIKE, and Prisma's contains on it
    expect(await list({ nameContains: "_" })).toEqual(["other_image"]); // literal, not a wildcard
    expect(await list({ nameContains: "%" })).toEqual([]);
    expect(await list({ datacenter: "fra02" })).toEqual(["other_image"]);
    expect(await list({ datacenter: "mars01" })).toEqual([]);
    expect(await list({ status: ["ACTIVE"], sourceServerId: all[0].sourceServerId })).toEqual(["raw-sql-template"]);
    expect(await list({ status: ["FAILED", "DELETING"] })).toEqual([]);
    expect(await list({}, 1, all[0].id)).toEqual(["other_image"]);
    const page = await t.app.domain.templates.list(viewer, { first: 1 });
    expect(page.hasNextPage).toBe(true);
    expect(await page.totalCount()).toBe(2);
    expect(await (await t.app.domain.templates.list(viewer, { first: 1 }, { datacenter: "dal10" })).totalCount()).toBe(1);
  });

  it("filter and page operations as Prisma's where-clauses do, newest first", async () => {
    const all = await db().operation.findMany({ where: { accountId: viewer.accountId }, orderBy: { id: "desc" } });
    const ids = (rows: Array<{ id: string }>) => rows.map((op) => op.id);
    const list = async (filter: object, first = 50, afterId?: string) => ids((await t.app.domain.operations.list(viewer, { first, afterId }, filter)).items);
    expect(await list({})).toEqual(ids(all));
    expect(await list({ kind: ["CAPTURE"] })).toEqual(ids(all.filter((op) => op.kind === "CAPTURE")));
    expect(await list({ kind: ["CAPTURE"] })).toHaveLength(2);
    expect(await list({ status: ["SUCCEEDED"], kind: ["PROVISION"] })).toEqual(ids(all.filter((op) => op.kind === "PROVISION")));
    expect(await list({ status: ["FAILED", "CANCELLED"] })).toEqual([]);
    expect(await list({ serverId: all[0].serverId })).toEqual(ids(all.filter((op) => op.serverId === all[0].serverId)));
    const capture = all.find((op) => op.kind === "CAPTURE")!;
    expect(await list({ imageTemplateId: capture.imageTemplateId })).toEqual([capture.id]);
    expect(await list({}, 2, all[0].id)).toEqual(ids(all.slice(1, 3)));
    const page = await t.app.domain.operations.list(viewer, { first: 1 }, { kind: ["PROVISION"] });
    expect(page.hasNextPage).toBe(true);
    expect(await page.totalCount()).toBe(3);
    // Whole snapshots, as the node loader makes them.
    expect((await t.app.domain.operations.list(viewer, { first: 50 })).items).toEqual(await t.app.domain.operations.loadMany(viewer, ids(all)));
  });

  it.runIf(onSqlite)("read timestamps in every form the file holds as Prisma does: its own, SQLite's CURRENT_TIMESTAMP, and other ISO forms", async () => {
    const { selectRows, sql } = await import("../src/db/raw-sql.ts");
    const forms = ["2026-11-26T04:06:55.932+00:00", "2026-11-26T04:06:55.932Z", "2026-11-26 04:06:55", "2026-02-28T23:59:59.001+00:00", "2026-11-26T05:06:55+01:00"];
    for (const [i, form] of forms.entries()) {
      await db().$executeRawUnsafe(`INSERT INTO "Account" ("id", "name", "createdAt") VALUES (?, ?, ?)`, `acct_time${i}`, "timestamps", form);
    }
    const ids = forms.map((_, i) => `acct_time${i}`);
    const mine = await selectRows<{ id: string; createdAt: Date }>(db(), sql`SELECT "id", "createdAt" FROM "Account" WHERE "name" = ${"timestamps"} ORDER BY "id"`);
    const prisma = await db().account.findMany({ where: { id: { in: ids } }, select: { id: true, createdAt: true }, orderBy: { id: "asc" } });
    expect(mine).toEqual(prisma);
    expect(mine.map((row) => row.createdAt.toISOString())).toEqual([
      "2026-11-26T04:06:55.932Z", "2026-11-26T04:06:55.932Z", "2026-11-26T04:06:55.000Z", "2026-02-28T23:59:59.001Z", "2026-11-26T04:06:55.000Z",
    ]);
  });
});

/** Every field of an operation and of a template, for comparing a page with whole-row loads. */
const OPERATION_FIELDS = `fragment Operation on Operation {
  id kind status step progress bytesDone bytesTotal throughput etaSeconds cancelRequested error { code message }
  createdAt updatedAt startedAt finishedAt server { id } imageTemplate { id }
}`;
const TEMPLATE_FIELDS = `fragment Template on ImageTemplate {
  id globalIdentifier name note type status datacenters sourceServer { id } sizeBytes storedBytes createdAt updatedAt
  configuration { kind os cpu memoryMb datacenter powerState volumes { index role capacityGb captured } }
  volumes { index role capacityGb sizeBytes storedBytes digest } captureOperation { id kind } deployments(first: 5) { totalCount }
}`;

describe("a page of servers over GraphQL", () => {
  let client: GraphQLClient;
  beforeAll(async () => {
    const { token } = await t.app.domain.accounts.create("raw-sql-columns");
    client = new GraphQLClient(t.url, token);
    const web = await createActiveServer(client, { hostname: "app01", datacenter: "dal10" });
    const template = await captureTemplate(client, web.id, "columns-template");
    const deployed = await client.query(DEPLOY, { input: { imageTemplateId: template.id, hostname: "app02", domain: "example.com" } });
    expect((await waitForOperation(client, deployed.deployImageTemplate.operation.id)).status).toBe("SUCCEEDED");
  });

  /** The select list of the one statement matching `pattern` that this query ran. */
  async function columnsRead(query: string, pattern: RegExp): Promise<{ columns: string; data: any }> {
    const from = statements.length;
    const data = await client.query(query);
    const matching = statements.slice(from).filter((text) => pattern.test(text));
    expect(matching).toHaveLength(1);
    return { columns: matching[0].replace(/^SELECT (.*?) FROM .*$/s, "$1"), data };
  }
  const PAGE = /FROM "Server" WHERE .* LIMIT/;
  const pageColumns = (query: string) => columnsRead(query, PAGE);
  const LATEST_OPERATIONS = /FROM "Operation" WHERE "id" IN\s+\(SELECT MAX/;

  it("reads only the columns its query shows, fragments included", async () => {
    const plain = await pageColumns(`{ servers(first: 10) { edges { node { id hostname network { publicIpv4 } } } } }`);
    expect(plain.columns).toBe(`"hostname", "id", "macAddress", "privateIpv4", "publicIpv4"`);
    expect(plain.data.servers.edges.map((e: any) => e.node.hostname)).toEqual(["app01", "app02"]);
    expect(plain.data.servers.edges[0].node.network.publicIpv4).toMatch(/^\d+\.\d+\.\d+\.\d+$/);

    const fragments = await pageColumns(`{ servers(first: 10) { edges { node { ...State ... on Node { __typename } } } } }
      fragment State on Server { status sourceImageTemplate { name } }`);
    expect(fragments.columns).toBe(`"id", "sourceImageTemplateId", "status"`);
    expect(fragments.data.servers.edges.map((e: any) => [e.node.status, e.node.sourceImageTemplate?.name ?? null])).toEqual([
      ["ACTIVE", null],
      ["ACTIVE", "columns-template"],
    ]);
  });

  it("reads the source templates' columns that their selection shows", async () => {
    const TEMPLATES = /FROM "ImageTemplate" WHERE \("accountId" = (\?|\$\d+) OR EXISTS .* AND "id" IN/;
    const read = await columnsRead(`{ servers(first: 10) { edges { node { sourceImageTemplate { name configuration { os } } } } } }`, TEMPLATES);
    expect(read.columns).toBe(`"configuration", "id", "name", "status"`);
    expect(read.data.servers.edges[1].node.sourceImageTemplate.name).toBe("columns-template");
  });

  it("reads the latest operations' columns that their selection shows, and the keys of a snapshot", async () => {
    const latest = await columnsRead(`{ servers(first: 10) { edges { node { latestOperation { kind status } } } } }`, LATEST_OPERATIONS);
    expect(latest.columns).toBe(`"id", "serverId", "status", "createdAt", "updatedAt", "kind"`);
    expect(latest.data.servers.edges.map((e: any) => e.node.latestOperation)).toEqual([
      { kind: "CAPTURE", status: "SUCCEEDED" },
      { kind: "DEPLOY", status: "SUCCEEDED" },
    ]);
    const eta = await columnsRead(`{ servers(first: 10) { edges { node { latestOperation { etaSeconds error { code } } } } } }`, LATEST_OPERATIONS);
    expect(eta.columns).toBe(`"id", "serverId", "status", "createdAt", "updatedAt", "bytesDone", "bytesTotal", "errorCode", "errorMessage", "throughput"`);
  });

  it("reads the templates' columns that a page of them shows, and answers every field as the whole row does", async () => {
    const TEMPLATE_PAGE = /FROM "ImageTemplate" WHERE .* LIMIT/;
    const names = await columnsRead(`{ imageTemplates(first: 10) { edges { node { id name storedBytes } } } }`, TEMPLATE_PAGE);
    expect(names.columns).toBe(`"id", "name", "storedBytes"`);
    expect(names.data.imageTemplates.edges.map((e: any) => e.node.name)).toEqual(["columns-template"]);

    const page = (await client.query(`{ imageTemplates(first: 10) { edges { node { ...Template } } } } ${TEMPLATE_FIELDS}`)).imageTemplates.edges.map((e: any) => e.node);
    const whole = await client.query(`query($ids: [ID!]!) { nodes(ids: $ids) { ...Template } } ${TEMPLATE_FIELDS}`, { ids: page.map((tpl: any) => tpl.id) });
    expect(page).toEqual(whole.nodes);
    expect(page[0]).toMatchObject({ name: "columns-template", status: "ACTIVE", deployments: { totalCount: 1 } });
    // The templates captured from a server: the same page, through the server.
    const fromServer = await client.query(`query($id: ID!) { node(id: $id) { ... on Server { imageTemplates(first: 5) { edges { node { ...Template } } } } } } ${TEMPLATE_FIELDS}`, {
      id: page[0].sourceServer.id,
    });
    expect(fromServer.node.imageTemplates.edges.map((e: any) => e.node)).toEqual(page);
  });

  it("reads the operations' columns that a page of them shows, and answers every field as the whole snapshot does", async () => {
    const OPERATION_PAGE = /FROM "Operation" WHERE .* LIMIT/;
    const kinds = await columnsRead(`{ operations(first: 10) { edges { node { kind } } } }`, OPERATION_PAGE);
    expect(kinds.columns).toBe(`"id", "serverId", "status", "createdAt", "updatedAt", "kind"`);
    expect(kinds.data.operations.edges.map((e: any) => e.node.kind)).toEqual(["DEPLOY", "CAPTURE", "PROVISION"]);

    const page = (await client.query(`{ operations(first: 10) { edges { node { ...Operation } } } } ${OPERATION_FIELDS}`)).operations.edges.map((e: any) => e.node);
    const whole = await client.query(`query($ids: [ID!]!) { nodes(ids: $ids) { ...Operation } } ${OPERATION_FIELDS}`, { ids: page.map((op: any) => op.id) });
    expect(page).toEqual(whole.nodes);
    // A server's operations: the same snapshots, through the server.
    const server = page.find((op: any) => op.kind === "CAPTURE").server.id;
    const fromServer = await client.query(`query($id: ID!) { node(id: $id) { ... on Server { operations(first: 5) { edges { node { ...Operation } } } } } } ${OPERATION_FIELDS}`, {
      id: server,
    });
    expect(fromServer.node.operations.edges.map((e: any) => e.node)).toEqual(page.filter((op: any) => op.server.id === server));
  });

  it("answers every field of a server as the whole row does", async () => {
    const fields = `fragment All on Server {
      id kind status powerState hostname domain fqdn datacenter cpu memoryMb os createdAt updatedAt
      network { privateIpv4 publicIpv4 macAddress } volumes { index role capacityGb capacityBytes }
      activeOperation { id } latestOperation { ...Operation } operations(first: 5) { totalCount }
      sourceImageTemplate { ...Template } configDrive { metaData networkConfig } imageTemplates(first: 5) { totalCount } console(lastLines: 3)
    } ${OPERATION_FIELDS} ${TEMPLATE_FIELDS}`;
    const page = await client.query(`{ servers(first: 10) { edges { node { ...All } } } } ${fields}`);
    const servers = page.servers.edges.map((e: any) => e.node);
    expect(servers).toHaveLength(2);
    // nodes() loads whole rows through the node loader: what each field gives from a full row.
    const whole = await client.query(`query($ids: [ID!]!) { nodes(ids: $ids) { ...All } } ${fields}`, { ids: servers.map((s: any) => s.id) });
    expect(servers).toEqual(whole.nodes);
    expect(servers[1].sourceImageTemplate.name).toBe("columns-template");
    expect(servers[0].network.macAddress).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
    // The latest operations, against the operation loader's whole snapshots.
    const operations = await client.query(`query($ids: [ID!]!) { nodes(ids: $ids) { ...Operation } } ${OPERATION_FIELDS}`, {
      ids: servers.map((s: any) => s.latestOperation.id),
    });
    expect(servers.map((s: any) => s.latestOperation)).toEqual(operations.nodes);
    expect(operations.nodes.map((op: any) => op.kind)).toEqual(["CAPTURE", "DEPLOY"]);
    // The source template, against the template loader's whole row.
    const template = await client.query(`query($id: ID!) { node(id: $id) { ...Template } } ${TEMPLATE_FIELDS}`, { id: servers[1].sourceImageTemplate.id });
    expect(servers[1].sourceImageTemplate).toEqual(template.node);
    expect(template.node.configuration.os).toBeTruthy();
  });
});
