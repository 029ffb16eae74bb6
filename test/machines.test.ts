// Servers' machines on the default (simulated) hypervisor, over the real API: the console
// and its subscription, power through the port, the power state a deploy starts in, and the
// records reconciled with the machines when imprint starts again.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SimulatedHypervisor } from "../src/hypervisor/simulated.ts";
import { startTestApp, type TestApp } from "./helpers/app.ts";
import { GraphQLClient } from "./helpers/clients.ts";
import { watchConsole } from "./helpers/console.ts";
import { captureTemplate, createActiveServer, createServer, DEPLOY, ERROR_FIELDS, TEMPLATE, waitForOperation } from "./helpers/documents.ts";
import { rawId } from "./helpers/store.ts";

const CONSOLE = `query($id: ID!, $lines: Int) { node(id: $id) { ... on Server { status powerState console(lastLines: $lines) } } }`;
const POWER = (action: "powerOnServer" | "powerOffServer") => `mutation($id: ID!) { ${action}(input: { id: $id }) { __typename ... on ${action === "powerOnServer" ? "PowerOnServerPayload" : "PowerOffServerPayload"} { operation { id } } ${ERROR_FIELDS} } }`;

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.stop());

describe("the serial console", () => {
  it("shows the machine's boot with the server's hostname, and its last lines only", async () => {
    const server = await createActiveServer(t.client, { hostname: "console01" });
    const { node } = await t.client.query(CONSOLE, { id: server.id, lines: 50 });
    expect(node.console.at(-1)).toBe("imprint-guest ready hostname=console01");
    expect((await t.client.query(CONSOLE, { id: server.id, lines: 1 })).node.console).toEqual(["imprint-guest ready hostname=console01"]);
    expect((await t.client.query(CONSOLE, { id: server.id, lines: 0 })).node.console).toEqual([]);
  });

  it("refuses more than 1000 lines, naming lastLines", async () => {
    const server = await createActiveServer(t.client, { hostname: "console02" });
    const { body } = await t.client.raw(CONSOLE, { id: server.id, lines: 1001 });
    expect(body.errors?.[0]).toMatchObject({ message: expect.stringContaining("lastLines"), extensions: { code: "VALIDATION_FAILED" } });
  });

  for (const transport of ["sse", "ws"] as const) {
    it(`streams what the machine writes as it powers off and on (serverConsole over ${transport})`, async () => {
      const server = await createActiveServer(t.client, { hostname: `stream-${transport}` });
      const console = watchConsole(t.client, server.id, transport, 1);
      try {
        // The backlog line says the subscription is up.
        expect((await console.waitFor(/./, "the backlog", { timeoutMs: 10_000 })).line).toBe(`imprint-guest ready hostname=stream-${transport}`);
        const off = (await t.client.query(POWER("powerOffServer"), { id: server.id })).powerOffServer;
        expect((await waitForOperation(t.client, off.operation.id)).server).toMatchObject({ powerState: "HALTED" });
        const down = await console.waitFor(/^imprint-guest shutting down$/, "the shutdown", { from: 1, timeoutMs: 10_000 });
        const on = (await t.client.query(POWER("powerOnServer"), { id: server.id })).powerOnServer;
        expect((await waitForOperation(t.client, on.operation.id)).server).toMatchObject({ powerState: "RUNNING" });
        await console.waitFor(new RegExp(`^imprint-guest ready hostname=stream-${transport}$`), "the boot", { from: down.index, timeoutMs: 10_000 });
      } finally {
        console.close();
      }
    });
  }

  it("is another account's only as a server that does not exist: same error, nothing streamed", async () => {
    const server = await createActiveServer(t.client, { hostname: "private01" });
    const stranger = await t.newAccount();
    const missing = Buffer.from("Server:srv_doesnotexist000000000").toString("base64");
    const answers = [];
    for (const id of [server.id, missing]) {
      const events: unknown[] = [];
      const failure = await stranger.sseSubscribe(`subscription($id: ID!) { serverConsole(id: $id) }`, { id }, (e) => events.push(e)).done.then(
        () => null,
        (error: Error) => error.message,
      );
      expect(events).toEqual([]);
      answers.push(failure?.replace(id, "<id>").replace(/srv_[0-9a-z]+/, "<raw>"));
    }
    expect(answers[0]).toMatch(/NOT_FOUND/);
    expect(answers[0]).toBe(answers[1]);
    expect((await stranger.query(CONSOLE, { id: server.id, lines: 5 })).node).toBeNull();
  });
});

describe("the power state a deploy starts in", () => {
  it("follows the source server's state at capture, recorded in the template; powerOn overrides it", async () => {
    const source = await createActiveServer(t.client, { hostname: "halted01" });
    const off = (await t.client.query(POWER("powerOffServer"), { id: source.id })).powerOffServer;
    await waitForOperation(t.client, off.operation.id);
    const template = await captureTemplate(t.client, source.id, "halted01-image");
    const configuration = (await t.client.query(`query($id: ID!) { node(id: $id) { ... on ImageTemplate { configuration { powerState } } } }`, { id: template.id })).node.configuration;
    expect(configuration.powerState).toBe("HALTED");

    const asRecorded = (await t.client.query(DEPLOY, { input: { imageTemplateId: template.id, hostname: "halted02", domain: "example.com" } })).deployImageTemplate;
    expect((await waitForOperation(t.client, asRecorded.operation.id)).server).toMatchObject({ status: "ACTIVE", powerState: "HALTED" });
    expect((await t.client.query(CONSOLE, { id: asRecorded.server.id, lines: 10 })).node.console).toEqual([]);

    const started = (await t.client.query(DEPLOY, { input: { imageTemplateId: template.id, hostname: "started02", domain: "example.com", powerOn: true } })).deployImageTemplate;
    expect((await waitForOperation(t.client, started.operation.id)).server).toMatchObject({ status: "ACTIVE", powerState: "RUNNING" });
    expect((await t.client.query(CONSOLE, { id: started.server.id, lines: 1 })).node.console).toEqual(["imprint-guest ready hostname=started02"]);
    expect((await t.client.query(TEMPLATE, { id: template.id })).node.status).toBe("ACTIVE");
  });
});

describe("user-data on a new server", () => {
  it("is written to its config drive, and over 64 KiB is refused naming userData", async () => {
    const server = await createActiveServer(t.client, { hostname: "userdata01", userData: "#!/bin/sh\necho hello\n" });
    const { node } = await t.client.query(`query($id: ID!) { node(id: $id) { ... on Server { configDrive { userData } } } }`, { id: server.id });
    expect(node.configDrive.userData).toBe("#!/bin/sh\necho hello\n");
    const refused = (await t.client.query(`mutation($input: CreateServerInput!) { createServer(input: $input) { ${ERROR_FIELDS} } }`, {
      input: { hostname: "userdata02", domain: "example.com", datacenter: "dal10", cpu: 1, memoryMb: 1024, os: "DEBIAN_12_64", volumes: [{ role: "BOOT", capacityGb: 2 }], userData: "x".repeat(64 * 1024 + 1) },
    })).createServer;
    expect(refused.fields).toEqual([{ field: "userData", message: "must be at most 65536 bytes" }]);
  });
});

describe("a restart of imprint", () => {
  it("records the true power state of machines that changed while it was down, and cuts off machines of no server", async () => {
    const app = await startTestApp();
    try {
      const token = app.client.token!;
      const running = await createActiveServer(app.client, { hostname: "restart01" });
      const stopped = await createServer(app.client, { hostname: "restart02" });
      await waitForOperation(app.client, stopped.operation.id);
      await app.stop({ keepData: true });

      // Meanwhile restart02's machine went down, and a machine of no known server runs.
      const machines = new SimulatedHypervisor(path.join(app.dataDir, "machines"));
      await machines.forceOff(rawId(stopped.server.id));
      mkdirSync(path.join(app.dataDir, "machines", "srv_orphan"), { recursive: true });
      writeFileSync(path.join(app.dataDir, "machines", "srv_orphan", "state"), "RUNNING");
      expect(await machines.running()).toEqual(expect.arrayContaining(["srv_orphan"]));

      const again = await startTestApp({ dataDir: app.dataDir });
      try {
        const client = new GraphQLClient(again.url, token);
        expect((await client.query(CONSOLE, { id: running.id, lines: 0 })).node).toMatchObject({ status: "ACTIVE", powerState: "RUNNING" });
        expect((await client.query(CONSOLE, { id: stopped.server.id, lines: 0 })).node).toMatchObject({ status: "ACTIVE", powerState: "HALTED" });
        expect(await machines.running()).toEqual([rawId(running.id)]);
      } finally {
        await again.stop();
      }
    } finally {
      await app.stop().catch(() => undefined);
    }
  });
});
