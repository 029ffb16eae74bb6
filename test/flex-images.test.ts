// Flex images: captured from virtual or bare-metal servers of a Flex-capable operating system,
// deployed to both; standard templates keep refusing bare metal both ways. Every refusal names
// what would do, and changes nothing.
import { open } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "./helpers/app.ts";
import { CAPTURE, captureTemplate, createActiveServer, DEPLOY, ERROR_FIELDS, TEMPLATE, waitForOperation } from "./helpers/documents.ts";
import { fileDigest, volumePaths } from "./helpers/store.ts";

const RELOAD = `mutation($input: ReloadServerInput!) { reloadServer(input: $input) {
  __typename
  ... on ReloadServerPayload { operation { id } }
  ... on IncompatibleServerError { serverKind compatibleTemplateKind compatibleOperatingSystems }
  ${ERROR_FIELDS}
} }`;
const FLEX_OS = ["UBUNTU_24_04_64", "UBUNTU_22_04_64", "ROCKYLINUX_9_64", "WIN_2022_64"];

let t: TestApp;
let metal: { id: string; fqdn: string };
let metalData: string;
let flex: { id: string; name: string };

beforeAll(async () => {
  t = await startTestApp();
  metal = await createActiveServer(t.client, { hostname: "metal01", kind: "BARE_METAL", os: "ROCKYLINUX_9_64", volumes: [{ role: "BOOT", capacityGb: 10 }, { role: "DATA", capacityGb: 1 }] });
  const file = await open((await volumePaths(t, metal.id)).get(1)!, "r+");
  await file.write(randomBytes(5 * 1024 * 1024), 0, undefined, 40 * 1024 * 1024);
  await file.close();
  metalData = await fileDigest((await volumePaths(t, metal.id)).get(1)!);
  flex = await captureTemplate(t.client, metal.id, "metal-flex", "FLEX");
});
afterAll(async () => t.stop());

async function deploy(input: Record<string, unknown>) {
  return (await t.client.query(DEPLOY, { input: { domain: "example.com", ...input } })).deployImageTemplate;
}

/** What a refused request must leave as it was. */
async function counts() {
  const db = t.app.domain.deps.db;
  return { servers: await db.server.count(), templates: await db.imageTemplate.count(), volumes: await db.volume.count() };
}

describe("a Flex image", () => {
  it("is captured from a bare-metal server of a Flex-capable OS, and says so", async () => {
    const { node } = await t.client.query(TEMPLATE, { id: flex.id });
    expect(node).toMatchObject({ kind: "FLEX", status: "ACTIVE", configuration: { kind: "BARE_METAL", os: "ROCKYLINUX_9_64" } });
  });

  it("deploys to bare metal by default (its source's kind) and to a virtual server when asked, byte for byte", async () => {
    for (const [hostname, kind] of [["metal02", undefined], ["virt02", "VIRTUAL"]] as const) {
      const result = await deploy({ imageTemplateId: flex.id, hostname, ...(kind ? { kind } : {}) });
      expect(result.__typename).toBe("DeployImageTemplatePayload");
      expect(result.server.kind).toBe(kind ?? "BARE_METAL");
      expect((await waitForOperation(t.client, result.operation.id)).status).toBe("SUCCEEDED");
      const data = (await volumePaths(t, result.server.id)).get(1)!;
      expect(await fileDigest(data)).toBe(metalData);
    }
  });

  it("reloads a bare-metal server", async () => {
    const other = await createActiveServer(t.client, { hostname: "metal03", kind: "BARE_METAL", os: "UBUNTU_24_04_64", volumes: [{ role: "BOOT", capacityGb: 10 }, { role: "DATA", capacityGb: 1 }] });
    const result = (await t.client.query(RELOAD, { input: { serverId: other.id, imageTemplateId: flex.id } })).reloadServer;
    expect(result.__typename).toBe("ReloadServerPayload");
    expect((await waitForOperation(t.client, result.operation.id)).status).toBe("SUCCEEDED");
    expect(await fileDigest((await volumePaths(t, other.id)).get(1)!)).toBe(metalData);
  });

  it("is refused of an OS that is not Flex-capable, naming the ones that are and the kind that would do", async () => {
    const debian = await createActiveServer(t.client, { hostname: "deb01", os: "DEBIAN_12_64" });
    const debianMetal = await createActiveServer(t.client, { hostname: "debmetal01", kind: "BARE_METAL", os: "DEBIAN_12_64", volumes: [{ role: "BOOT", capacityGb: 2 }] });
    const before = await counts();
    const virtual = (await t.client.query(CAPTURE, { input: { serverId: debian.id, name: "deb-flex", kind: "FLEX" } })).captureImageTemplate;
    expect(virtual).toMatchObject({
      __typename: "IncompatibleServerError",
      code: "INCOMPATIBLE_SERVER",
      serverKind: "VIRTUAL",
      compatibleTemplateKind: "STANDARD",
      compatibleOperatingSystems: FLEX_OS,
    });
    expect(virtual.message).toBe(`FLEX images cannot be captured from server deb01.example.com: DEBIAN_12_64 is not Flex-capable (${FLEX_OS.join(", ")} are); a STANDARD template can be`);
    // Bare metal of such an OS: no kind of template would do.
    for (const kind of ["FLEX", "STANDARD"]) {
      const refused = (await t.client.query(CAPTURE, { input: { serverId: debianMetal.id, name: `debmetal-${kind}`, kind } })).captureImageTemplate;
      expect(refused).toMatchObject({ __typename: "IncompatibleServerError", serverKind: "BARE_METAL", compatibleTemplateKind: null, compatibleOperatingSystems: FLEX_OS });
    }
    expect(await counts()).toEqual(before);
  });
});

describe("a standard template", () => {
  it("is refused from bare metal, naming FLEX as what would do", async () => {
    const before = await counts();
    const refused = (await t.client.query(CAPTURE, { input: { serverId: metal.id, name: "metal-standard" } })).captureImageTemplate;
    expect(refused).toMatchObject({ __typename: "IncompatibleServerError", serverKind: "BARE_METAL", compatibleTemplateKind: "FLEX", compatibleOperatingSystems: [] });
    expect(refused.message).toBe("standard image templates cannot be captured from bare metal server metal01.example.com; capture it as a FLEX image");
    expect(await counts()).toEqual(before);
  });

  it("is refused onto bare metal, by a deploy and by a reload, naming FLEX", async () => {
    const ubuntu = await createActiveServer(t.client, { hostname: "ubu01", os: "UBUNTU_24_04_64" });
    const standard = await captureTemplate(t.client, ubuntu.id, "ubu-standard");
    const before = await counts();
    const deployed = await deploy({ imageTemplateId: standard.id, hostname: "metal04", kind: "BARE_METAL" });
    expect(deployed).toMatchObject({ __typename: "IncompatibleServerError", serverKind: "BARE_METAL", compatibleTemplateKind: "FLEX" });
    expect(deployed.message).toBe(`image template "ubu-standard" is STANDARD and cannot be deployed to bare metal; bare metal takes FLEX images`);
    const reloaded = (await t.client.query(RELOAD, { input: { serverId: metal.id, imageTemplateId: standard.id } })).reloadServer;
    expect(reloaded).toMatchObject({ __typename: "IncompatibleServerError", compatibleTemplateKind: "FLEX" });
    expect(reloaded.message).toMatch(/cannot be loaded onto bare metal server metal01\.example\.com/);
    expect(await counts()).toEqual(before);
    // A virtual target is fine: the same template deploys there.
    const virtual = await deploy({ imageTemplateId: standard.id, hostname: "ubu02" });
    expect(virtual.server.kind).toBe("VIRTUAL");
  });
});

describe("the catalogue and the machines", () => {
  it("marks the Flex-capable operating systems, the demo's bare-metal OS among them", async () => {
    const { operatingSystems } = await t.client.query(`{ operatingSystems { code flexCapable } }`);
    expect(operatingSystems.filter((os: any) => os.flexCapable).map((os: any) => os.code)).toEqual(FLEX_OS);
  });

  it("says what runs each server's machine: simulated here, bare metal included", async () => {
    const { node } = await t.client.query(`query($id: ID!) { node(id: $id) { ... on Server { machine host } } }`, { id: metal.id });
    expect(node).toEqual({ machine: "SIMULATED", host: null });
  });
});
