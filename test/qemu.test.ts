// End to end with real virtual machines (IMPRINT_HYPERVISOR=qemu): a guest built from
// Debian's packages boots from its own volume, takes its hostname from the cidata drive,
// writes data; a capture takes it offline and brings it back; two deploys boot with their
// own hostnames and the captured data; a reload boots again; a restart of imprint finds the
// machines again. On a machine without QEMU the suite is skipped, saying why.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "./helpers/app.ts";
import { GraphQLClient } from "./helpers/clients.ts";
import { watchConsole } from "./helpers/console.ts";
import { CAPTURE, CREATE_SERVER, DEPLOY, ERROR_FIELDS, waitForOperation } from "./helpers/documents.ts";
import { processAlive } from "./helpers/child.ts";
import { buildGuest, killMachines, machinePid, machineProcesses, qemuUnavailable } from "./helpers/qemu.ts";
import { rawId } from "./helpers/store.ts";

const unavailable = qemuUnavailable();
const MARKER = `marker-${Math.random().toString(36).slice(2, 10)}`;
const SERVER = `query($id: ID!) { node(id: $id) { ... on Server { status powerState console(lastLines: 1000) } } }`;
const RELOAD = `mutation($input: ReloadServerInput!) { reloadServer(input: $input) { __typename ... on ReloadServerPayload { operation { id } } ${ERROR_FIELDS} } }`;
const POWER_OFF = `mutation($id: ID!) { powerOffServer(input: { id: $id }) { __typename ... on PowerOffServerPayload { operation { id } } ${ERROR_FIELDS} } }`;

describe.skipIf(unavailable !== null)(`QEMU machines${unavailable ? ` (skipped: ${unavailable})` : ""}`, () => {
  let t: TestApp;
  let client: GraphQLClient;
  let work: string;
  let dataDir: string;
  let env: Record<string, string>;
  let sourceId: string;
  let templateId: string;
  const clones: Record<string, string> = {};

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), "imprint-qemu-"));
    const guestImage = path.join(work, "imprint-guest.img");
    await buildGuest(guestImage);
    dataDir = path.join(work, "data");
    // The power button is pressed again every 3 s (10 s by default) until the guest is off.
    env = { IMPRINT_HYPERVISOR: "qemu", IMPRINT_GUEST_IMAGE: guestImage, IMPRINT_SHUTDOWN_GUEST_TIMEOUT_MS: "60000", IMPRINT_QEMU_POWER_BUTTON_RETRY_MS: "3000" };
    t = await startTestApp({ dataDir, env });
    client = t.client;
  }, 60_000);

  afterAll(async () => {
    await t?.stop({ keepData: true });
    killMachines(dataDir);
    rmSync(work, { recursive: true, force: true });
  });

  // One scenario, in order: each step needs the one before (a machine to capture, a template
  // to deploy), so it is one test whose failures name the step.
  it("a guest's life: boots, is captured (offline and back), deployed twice with new hostnames and its data, reloaded, found again after a restart, powered off by ACPI", async () => {
    // 1. Boot from the guest image: the console says ready with the hostname, user-data wrote the marker.
    {
      const created = (
        await client.query(CREATE_SERVER, {
          input: {
            hostname: "source01", domain: "example.com", datacenter: "dal10", cpu: 1, memoryMb: 1024, os: "IMPRINT_GUEST",
            volumes: [{ role: "BOOT", capacityGb: 1 }, { role: "DATA", capacityGb: 1 }],
            userData: `#!/bin/sh\necho ${MARKER} > /data/marker\nsync\necho wrote the marker\n`,
          },
        })
      ).createServer;
      sourceId = created.server.id;
      // The whole log (it is new), so no line written before the subscription is up is missed.
      const console = watchConsole(client, sourceId, "ws", 1000);
      try {
        await console.waitFor(/^wrote the marker$/, "the user-data script", { timeoutMs: 90_000 });
        await console.waitFor(/^imprint-guest ready hostname=source01 /, "source01 ready", { timeoutMs: 30_000 });
      } finally {
        console.close();
      }
      expect((await waitForOperation(client, created.operation.id)).status).toBe("SUCCEEDED");
      const server = (await client.query(SERVER, { id: sourceId })).node;
      expect(server).toMatchObject({ status: "ACTIVE", powerState: "RUNNING" });
      expect(server.console.join("\n")).toMatch(/imprint-guest ready hostname=source01 .*addresses=10\.10\./);
      expect(machinePid(dataDir, rawId(sourceId))).not.toBeNull();
      expect((await client.query(`query($id: ID!) { node(id: $id) { ... on Server { machine } } }`, { id: sourceId })).node).toEqual({ machine: "QEMU" });

    }
    // 2. Capture: the guest powers off cleanly, its volumes are read, and it boots again.
    {
      const pidBefore = machinePid(dataDir, rawId(sourceId));
      const console = watchConsole(client, sourceId, "sse", 1);
      try {
        await console.waitFor(/./, "the subscription's first line");
        const result = (await client.query(CAPTURE, { input: { serverId: sourceId, name: "guest-golden" } })).captureImageTemplate;
        expect(result.__typename).toBe("CaptureImageTemplatePayload");
        templateId = result.imageTemplate.id;
        const down = await console.waitFor(/^imprint-guest shutting down$/, "the ACPI shutdown", { from: 1, timeoutMs: 60_000 });
        await console.waitFor(/^imprint-guest ready hostname=source01 /, "source01 back up", { from: down.index, timeoutMs: 90_000 });
        expect((await waitForOperation(client, result.operation.id)).status).toBe("SUCCEEDED");
      } finally {
        console.close();
      }
      // A new process: the old one exited with its guest.
      const pidAfter = machinePid(dataDir, rawId(sourceId));
      expect(pidAfter).not.toBeNull();
      expect(pidAfter).not.toBe(pidBefore);
      expect((await client.query(SERVER, { id: sourceId })).node).toMatchObject({ status: "ACTIVE", powerState: "RUNNING" });

    }
    // 3. Deploy two servers with new hostnames: both boot with their own names and hold the captured data.
    {
      const watches = [];
      for (const hostname of ["clone01", "clone02"]) {
        const result = (
          await client.query(DEPLOY, {
            input: { imageTemplateId: templateId, hostname, domain: "example.com", userData: `#!/bin/sh\necho "marker is $(cat /data/marker)"\n` },
          })
        ).deployImageTemplate;
        expect(result.__typename).toBe("DeployImageTemplatePayload");
        clones[hostname] = result.server.id;
        watches.push({ hostname, operationId: result.operation.id, console: watchConsole(client, result.server.id, "ws", 1000) });
      }
      try {
        for (const { hostname, operationId, console } of watches) {
          expect((await waitForOperation(client, operationId)).status).toBe("SUCCEEDED");
          await console.waitFor(new RegExp(`^marker is ${MARKER}$`), `${hostname} reading the captured marker`, { timeoutMs: 90_000 });
          await console.waitFor(new RegExp(`^imprint-guest ready hostname=${hostname} `), `${hostname} ready`, { timeoutMs: 30_000 });
          expect(console.lines.join("\n")).not.toMatch(/hostname=source01/);
        }
      } finally {
        for (const { console } of watches) console.close();
      }

    }
    // 4. Reload one from the template: it goes down, and boots again from the restored volumes.
    {
      const id = clones.clone01;
      const console = watchConsole(client, id, "ws", 1);
      try {
        await console.waitFor(/./, "the subscription's first line");
        const result = (await client.query(RELOAD, { input: { serverId: id, imageTemplateId: templateId } })).reloadServer;
        expect(result.__typename).toBe("ReloadServerPayload");
        const down = await console.waitFor(/^imprint-guest shutting down$/, "clone01 powering off for the reload", { from: 1, timeoutMs: 60_000 });
        await console.waitFor(/^imprint-guest ready hostname=clone01 /, "clone01 ready after the reload", { from: down.index, timeoutMs: 90_000 });
        expect((await waitForOperation(client, result.operation.id)).status).toBe("SUCCEEDED");
      } finally {
        console.close();
      }

    }
    // 5. Restart imprint: its machines are found again (none started twice); one that died meanwhile is HALTED.
    {
      const token = client.token!;
      const pids = Object.fromEntries(Object.entries(clones).map(([name, id]) => [name, machinePid(dataDir, rawId(id))]));
      await t.stop({ keepData: true });
      // While imprint is down, clone02's machine dies.
      process.kill(pids.clone02!, "SIGKILL");
      t = await startTestApp({ dataDir, env });
      client = new GraphQLClient(t.url, token);
      expect(machinePid(dataDir, rawId(clones.clone01))).toBe(pids.clone01);
      expect((await client.query(SERVER, { id: clones.clone01 })).node).toMatchObject({ status: "ACTIVE", powerState: "RUNNING" });
      expect((await client.query(SERVER, { id: clones.clone02 })).node).toMatchObject({ status: "ACTIVE", powerState: "HALTED" });

    }
    // 6. Power off with ACPI: the guest shuts itself down and its process is gone.
    {
      const id = sourceId;
      const pid = machinePid(dataDir, rawId(id));
      expect(pid).not.toBeNull();
      const console = watchConsole(client, id, "ws", 1);
      try {
        await console.waitFor(/./, "the subscription's first line");
        const result = (await client.query(POWER_OFF, { id })).powerOffServer;
        await console.waitFor(/^imprint-guest shutting down$/, "the guest's own shutdown", { from: 1, timeoutMs: 60_000 });
        expect((await waitForOperation(client, result.operation.id)).status).toBe("SUCCEEDED");
      } finally {
        console.close();
      }
      expect(machinePid(dataDir, rawId(id))).toBeNull();
      expect(processAlive(pid!)).toBe(false);
      expect((await client.query(SERVER, { id })).node).toMatchObject({ status: "ACTIVE", powerState: "HALTED" });
    }
  }, 300_000);
  it("a guest that misses the power-button press gets it again, and powers itself off before its deadline", async () => {
    // Its user-data makes the test guest ignore the next press, as a guest still booting would.
    const created = (
      await client.query(CREATE_SERVER, {
        input: {
          hostname: "deaf01", domain: "example.com", datacenter: "dal10", cpu: 1, memoryMb: 1024, os: "IMPRINT_GUEST",
          volumes: [{ role: "BOOT", capacityGb: 1 }],
          userData: `#!/bin/sh\ntouch /tmp/imprint-ignore-power-button\n`,
        },
      })
    ).createServer;
    expect(created.__typename).toBe("CreateServerPayload");
    const id = created.server.id;
    const console = watchConsole(client, id, "ws", 1000);
    try {
      await console.waitFor(/^imprint-guest ready hostname=deaf01 /, "deaf01 ready", { timeoutMs: 120_000 });
      expect((await waitForOperation(client, created.operation.id)).status).toBe("SUCCEEDED");
      const pid = machinePid(dataDir, rawId(id));
      const result = (await client.query(POWER_OFF, { id })).powerOffServer;
      const ignored = await console.waitFor(/^imprint-guest ignored a power-button press$/, "the first press ignored", { timeoutMs: 30_000 });
      // Forced off at the 60 s deadline, it would never say this: only a press it heard makes it.
      await console.waitFor(/^imprint-guest shutting down$/, "a later press heard", { from: ignored.index + 1, timeoutMs: 30_000 });
      expect((await waitForOperation(client, result.operation.id)).status).toBe("SUCCEEDED");
      expect(processAlive(pid!)).toBe(false);
      expect((await client.query(SERVER, { id })).node).toMatchObject({ status: "ACTIVE", powerState: "HALTED" });
    } finally {
      console.close();
    }
  }, 240_000);

  it("runs bare metal on simulated machines (a VM is not bare metal): no QEMU process, and a Flex image of it deploys to bare metal", async () => {
    const SHAPE = `query($id: ID!) { node(id: $id) { ... on Server { kind machine host status powerState } } }`;
    const created = (
      await client.query(CREATE_SERVER, {
        input: { kind: "BARE_METAL", hostname: "metal01", domain: "example.com", datacenter: "dal10", cpu: 8, memoryMb: 16384, os: "UBUNTU_24_04_64", volumes: [{ role: "BOOT", capacityGb: 4 }] },
      })
    ).createServer;
    expect(created.__typename).toBe("CreateServerPayload");
    expect((await waitForOperation(client, created.operation.id)).status).toBe("SUCCEEDED");
    const metal = created.server.id;
    expect((await client.query(SHAPE, { id: metal })).node).toEqual({ kind: "BARE_METAL", machine: "SIMULATED", host: null, status: "ACTIVE", powerState: "RUNNING" });
    expect(machineProcesses(rawId(metal))).toBe(0);

    const captured = (await client.query(CAPTURE, { input: { serverId: metal, name: "metal01-flex", kind: "FLEX" } })).captureImageTemplate;
    expect((await waitForOperation(client, captured.operation.id)).status).toBe("SUCCEEDED");
    const deployed = (await client.query(DEPLOY, { input: { imageTemplateId: captured.imageTemplate.id, hostname: "metal02", domain: "example.com" } })).deployImageTemplate;
    expect(deployed.__typename).toBe("DeployImageTemplatePayload");
    expect((await waitForOperation(client, deployed.operation.id)).status).toBe("SUCCEEDED");
    expect((await client.query(SHAPE, { id: deployed.server.id })).node).toEqual({ kind: "BARE_METAL", machine: "SIMULATED", host: null, status: "ACTIVE", powerState: "RUNNING" });
    expect(machineProcesses(rawId(deployed.server.id))).toBe(0);
    const off = (await client.query(POWER_OFF, { id: metal })).powerOffServer;
    expect((await waitForOperation(client, off.operation.id)).status).toBe("SUCCEEDED");
    expect((await client.query(SHAPE, { id: metal })).node).toMatchObject({ powerState: "HALTED" });
  }, 120_000);
});
