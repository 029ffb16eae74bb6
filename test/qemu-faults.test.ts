// The fault matrix with real machines (IMPRINT_HYPERVISOR=qemu): imprint killed mid-capture
// and mid-deploy, a full image store, a corrupt chunk. Whatever fails, the source guest ends
// up running again, a half-made server has no machine left, and no QEMU process is orphaned.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, tempDataDir } from "./helpers/app.ts";
import { GraphQLClient } from "./helpers/clients.ts";
import { watchConsole } from "./helpers/console.ts";
import { crashAt, settled } from "./helpers/crash.ts";
import { CAPTURE, CREATE_SERVER, DEPLOY, TEMPLATE, waitForOperation } from "./helpers/documents.ts";
import { FaultyImageStore } from "./helpers/faults.ts";
import { checkInvariants } from "./helpers/invariants.ts";
import { buildGuest, killMachines, machinePid, machineProcesses, qemuUnavailable } from "./helpers/qemu.ts";
import { rawId } from "./helpers/store.ts";
import { until } from "./helpers/wait.ts";

const unavailable = qemuUnavailable();
const SERVER = `query($id: ID!) { node(id: $id) { ... on Server { status powerState } } }`;

describe.skipIf(unavailable !== null)(`faults with QEMU machines${unavailable ? ` (skipped: ${unavailable})` : ""}`, () => {
  let work: string;
  let env: Record<string, string>;
  const dataDirs: string[] = [];

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), "imprint-qemu-faults-"));
    const guestImage = path.join(work, "imprint-guest.img");
    await buildGuest(guestImage);
    // Software emulation without the KVM probe: the end-to-end test covers the probe.
    env = { IMPRINT_HYPERVISOR: "qemu", IMPRINT_GUEST_IMAGE: guestImage, IMPRINT_QEMU_ACCEL: "tcg" };
  }, 60_000);

  afterAll(() => {
    for (const dir of dataDirs) {
      killMachines(dir);
      rmSync(dir, { recursive: true, force: true });
    }
    rmSync(work, { recursive: true, force: true });
  });

  /** An app on a fresh data directory with a guest booted and ready. */
  async function guestReady(options: { store?: (dataDir: string) => FaultyImageStore } = {}) {
    const dataDir = tempDataDir();
    dataDirs.push(dataDir);
    const t = await startTestApp({ dataDir, env, ports: options.store ? { store: options.store(dataDir) } : {} });
    const created = (
      await t.client.query(CREATE_SERVER, {
        input: {
          hostname: "guest01", domain: "example.com", datacenter: "dal10", cpu: 1, memoryMb: 1024, os: "IMPRINT_GUEST",
          volumes: [{ role: "BOOT", capacityGb: 1 }, { role: "DATA", capacityGb: 1 }],
          userData: "#!/bin/sh\nhead -c 3000000 /dev/urandom > /data/payload\nsync\n",
        },
      })
    ).createServer;
    const console = watchConsole(t.client, created.server.id, "ws", 1000);
    try {
      await console.waitFor(/^imprint-guest ready hostname=guest01 /, "guest01 ready", { timeoutMs: 90_000 });
    } finally {
      console.close();
    }
    return { t, dataDir, serverId: created.server.id as string };
  }

  /** The guest was taken offline and is up again: its console says ready after its last shutdown. */
  async function bootsAgain(client: GraphQLClient, serverId: string, dataDir: string) {
    await until(async () => {
      const lines = (await client.query(`query($id: ID!) { node(id: $id) { ... on Server { console(lastLines: 1000) } } }`, { id: serverId })).node.console as string[];
      const down = lines.findLastIndex((line) => line === "imprint-guest shutting down");
      return down >= 0 && lines.slice(down).some((line) => /^imprint-guest ready hostname=guest01 /.test(line));
    }, "guest01 ready after its shutdown", 90_000);
    expect(machinePid(dataDir, rawId(serverId))).not.toBeNull();
  }

  it("imprint killed mid-capture: after the restart the template is FAILED and the guest runs again, one process", async () => {
    const { t, dataDir, serverId } = await guestReady();
    const token = t.client.token!;
    await t.stop({ keepData: true }); // the guest keeps running
    const { t: restarted, client, operationId } = await crashAt(
      dataDir,
      token,
      { pauseAtPut: 2 },
      async (c) => (await c.query(CAPTURE, { input: { serverId, name: "crash-image" } })).captureImageTemplate.operation.id,
      env,
    );
    try {
      expect(await settled(client, operationId)).toMatchObject({ status: "FAILED", error: { code: "INTERRUPTED" } });
      expect((await client.query(SERVER, { id: serverId })).node).toEqual({ status: "ACTIVE", powerState: "RUNNING" });
      await bootsAgain(client, serverId, dataDir);
      expect(machineProcesses(rawId(serverId))).toBe(1);
      expect(await checkInvariants(restarted.app, dataDir, restarted.url)).toEqual([]);
    } finally {
      await restarted.stop({ keepData: true });
    }
  }, 240_000);

  it("a full image store: the capture FAILS with STORAGE_FULL and the guest is brought back", async () => {
    const { t, dataDir, serverId } = await guestReady({ store: (dir) => new FaultyImageStore(path.join(dir, "store"), { spaceBytes: 1024 * 1024 }) });
    try {
      const console = watchConsole(t.client, serverId, "ws", 1);
      try {
        await console.waitFor(/./, "the subscription's first line");
        const started = (await t.client.query(CAPTURE, { input: { serverId, name: "full-image" } })).captureImageTemplate;
        const final = await waitForOperation(t.client, started.operation.id);
        expect(final).toMatchObject({ status: "FAILED", error: { code: "STORAGE_FULL" }, server: { status: "ACTIVE", powerState: "RUNNING" } });
        expect((await t.client.query(TEMPLATE, { id: started.imageTemplate.id })).node.status).toBe("FAILED");
        const down = await console.waitFor(/^imprint-guest shutting down$/, "the guest taken offline", { from: 1, timeoutMs: 10_000 });
        await console.waitFor(/^imprint-guest ready hostname=guest01 /, "guest01 back up", { from: down.index, timeoutMs: 90_000 });
      } finally {
        console.close();
      }
      expect(await checkInvariants(t.app, dataDir, t.url)).toEqual([]);
    } finally {
      await t.stop({ keepData: true });
    }
  }, 240_000);

  it("a corrupt chunk: the deploy FAILS with INTEGRITY, the new server has no machine, the source guest runs on", async () => {
    const { t, dataDir, serverId } = await guestReady();
    try {
      const captured = (await t.client.query(CAPTURE, { input: { serverId, name: "golden" } })).captureImageTemplate;
      expect((await waitForOperation(t.client, captured.operation.id)).status).toBe("SUCCEEDED");
      const manifest = (await t.app.domain.deps.store.getManifest((await t.client.query(TEMPLATE, { id: captured.imageTemplate.id })).node.globalIdentifier)) as { volumes: Array<{ chunks: Array<[number, string]> }> };
      const [, victim] = manifest.volumes[0].chunks[0];
      await t.app.domain.deps.store.putChunk(victim, randomBytes(4096));

      const deployed = (await t.client.query(DEPLOY, { input: { imageTemplateId: captured.imageTemplate.id, hostname: "clone01", domain: "example.com" } })).deployImageTemplate;
      const final = await waitForOperation(t.client, deployed.operation.id);
      expect(final).toMatchObject({ status: "FAILED", error: { code: "INTEGRITY" } });
      expect((await t.client.query(SERVER, { id: deployed.server.id })).node).toEqual({ status: "FAILED", powerState: "HALTED" });
      expect(machinePid(dataDir, rawId(deployed.server.id))).toBeNull();
      expect((await t.client.query(TEMPLATE, { id: captured.imageTemplate.id })).node.status).toBe("DAMAGED");
      expect((await t.client.query(SERVER, { id: serverId })).node).toEqual({ status: "ACTIVE", powerState: "RUNNING" });
      await bootsAgain(t.client, serverId, dataDir);
    } finally {
      await t.stop({ keepData: true });
    }
  }, 240_000);

  it("imprint killed mid-deploy: after the restart the new server is FAILED with no machine and no files", async () => {
    const { t, dataDir, serverId } = await guestReady();
    const captured = (await t.client.query(CAPTURE, { input: { serverId, name: "golden" } })).captureImageTemplate;
    expect((await waitForOperation(t.client, captured.operation.id)).status).toBe("SUCCEEDED");
    const token = t.client.token!;
    await t.stop({ keepData: true });
    let cloneId = "";
    const { t: restarted, client, operationId } = await crashAt(
      dataDir,
      token,
      { pauseAtGet: 3 },
      async (c) => {
        const result = (await c.query(DEPLOY, { input: { imageTemplateId: captured.imageTemplate.id, hostname: "clone01", domain: "example.com" } })).deployImageTemplate;
        cloneId = result.server.id;
        return result.operation.id;
      },
      env,
    );
    try {
      expect(await settled(client, operationId)).toMatchObject({ status: "FAILED", error: { code: "INTERRUPTED" } });
      expect((await client.query(SERVER, { id: cloneId })).node).toEqual({ status: "FAILED", powerState: "HALTED" });
      expect(machinePid(dataDir, rawId(cloneId))).toBeNull();
      expect((await client.query(SERVER, { id: serverId })).node).toEqual({ status: "ACTIVE", powerState: "RUNNING" });
      expect(machinePid(dataDir, rawId(serverId))).not.toBeNull();
      expect(await checkInvariants(restarted.app, dataDir, restarted.url)).toEqual([]);
    } finally {
      await restarted.stop({ keepData: true });
    }
  }, 240_000);
});
