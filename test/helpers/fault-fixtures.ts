// What the in-process fault tests share: a server with random data, the invariant check,
// and the documents they send.
import { randomBytes } from "node:crypto";
import { open } from "node:fs/promises";
import { expect } from "vitest";
import type { TestApp } from "./app.ts";
import type { GraphQLClient } from "./clients.ts";
import { createActiveServer, ERROR_FIELDS } from "./documents.ts";
import { checkInvariants } from "./invariants.ts";
import { rawId } from "./store.ts";

export const MIB = 1024 * 1024;
const SERVER_STATE = `query($id: ID!) { node(id: $id) { ... on Server { status powerState activeOperation { id } } } }`;
export const RELOAD = `mutation($input: ReloadServerInput!) { reloadServer(input: $input) { __typename ... on ReloadServerPayload { operation { id } } ${ERROR_FIELDS} } }`;
export const VERIFY = `mutation($id: ID!) { verifyImageTemplate(input: { id: $id }) { __typename ... on VerifyImageTemplatePayload { operation { id } } ${ERROR_FIELDS} } }`;

/** A small server whose data volume holds `mib` MiB of random (incompressible) bytes. */
export async function serverWithData(t: TestApp, client: GraphQLClient, hostname: string, mib: number) {
  const server = await createActiveServer(client, {
    hostname,
    os: "DEBIAN_12_64",
    volumes: [{ role: "BOOT", capacityGb: 2 }, { role: "DATA", capacityGb: 1 }],
  });
  const volumes = await t.app.domain.deps.db.volume.findMany({ where: { serverId: rawId(server.id) } });
  const data = volumes.find((v) => v.index === 1)!;
  const file = await open(t.app.domain.deps.volumes.pathOf(data.id), "r+");
  for (let i = 0; i < mib / 4; i++) await file.write(randomBytes(4 * MIB), 0, 4 * MIB, i * 8 * MIB);
  await file.close();
  return server as { id: string; fqdn: string };
}

export async function expectInvariants(t: TestApp): Promise<void> {
  expect(await checkInvariants(t.app, t.dataDir, t.url)).toEqual([]);
}

export async function serverState(client: GraphQLClient, id: string) {
  return (await client.query(SERVER_STATE, { id })).node;
}
