// Shared by the crash tests: data prepared in process, a faulty process killed where it
// stopped, and a restart on the same data.
import { randomBytes } from "node:crypto";
import { open } from "node:fs/promises";
import { expect } from "vitest";
import { startTestApp, tempDataDir, type TestApp } from "./app.ts";
import { startChildServer } from "./child.ts";
import { GraphQLClient } from "./clients.ts";
import { captureTemplate, createActiveServer } from "./documents.ts";
import { checkInvariants, volumeChecksums } from "./invariants.ts";
import { rawId } from "./store.ts";

const MIB = 1024 * 1024;
const FAULT_SERVER = "test/helpers/fault-server.ts";
const OPERATION = `query($id: ID!) { node(id: $id) { ... on Operation { status error { code message } } } }`;
export const SERVER = `query($id: ID!) { node(id: $id) { ... on Server { status powerState activeOperation { id } } } }`;

/** Prepares data in process (an account, a server with 40 MiB of random data), then stops. */
export async function prepare(withTemplate = false) {
  const dataDir = tempDataDir();
  const t = await startTestApp({ dataDir });
  const server = await createActiveServer(t.client, { hostname: "crash01", os: "DEBIAN_12_64", volumes: [{ role: "BOOT", capacityGb: 2 }, { role: "DATA", capacityGb: 1 }] });
  const data = (await t.app.domain.deps.db.volume.findMany({ where: { serverId: rawId(server.id), index: 1 } }))[0];
  const file = await open(t.app.domain.deps.volumes.pathOf(data.id), "r+");
  for (let i = 0; i < 10; i++) await file.write(randomBytes(4 * MIB), 0, 4 * MIB, i * 8 * MIB);
  await file.close();
  const template = withTemplate ? await captureTemplate(t.client, server.id, "crash01-image") : null;
  const checksums = await volumeChecksums(t.app, rawId(server.id));
  const token = t.client.token!;
  await t.stop({ keepData: true });
  return { dataDir, token, server, template, checksums };
}

/**
 * Runs `start` against a faulty process, kills it where it stopped, restarts in process
 * (both with `env`, e.g. the QEMU hypervisor's settings).
 */
export async function crashAt(
  dataDir: string,
  token: string,
  faults: Record<string, number>,
  start: (client: GraphQLClient) => Promise<string>,
  env: Record<string, string> = {},
) {
  const child = await startChildServer(dataDir, { ...env, IMPRINT_TEST_FAULTS: JSON.stringify(faults) }, FAULT_SERVER);
  const operationId = await start(new GraphQLClient(child.url, token));
  await child.waitForOutput(/fault: paused at/);
  await child.kill("SIGKILL");
  const t = await startTestApp({ dataDir, env });
  return { t, client: new GraphQLClient(t.url, token), operationId };
}

export async function settled(client: GraphQLClient, operationId: string) {
  // Recovery runs at start; the operation's state is final once the app is up.
  return (await client.query(OPERATION, { id: operationId })).node;
}

export async function expectInvariants(t: TestApp) {
  expect(await checkInvariants(t.app, t.dataDir, t.url)).toEqual([]);
}

