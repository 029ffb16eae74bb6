// A template's locations over the API. The runner is kept busy (one operation at a time, a
// capture held at a chunk write) so that a copy stays QUEUED: its location is COPYING, not
// deployable, and asking again answers that location instead of queueing a second copy. A
// cancelled copy leaves its location FAILED; asked for again it is copied anew. A location is
// dropped with removeImageTemplateDatacenters, except one being copied and the last one.
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, tempDataDir, type TestApp } from "./helpers/app.ts";
import { CAPTURE, captureTemplate, createActiveServer, DEPLOY, ERROR_FIELDS, waitForOperation } from "./helpers/documents.ts";
import { FaultyImageStore, Gate } from "./helpers/faults.ts";
import { serverWithData } from "./helpers/fault-fixtures.ts";

const LOCATION = `datacenter status copyOperation { id status }`;
const ADD = `mutation($input: AddImageTemplateDatacentersInput!) { addImageTemplateDatacenters(input: $input) { __typename ... on AddImageTemplateDatacentersPayload { operation { id status } locations { ${LOCATION} } } ${ERROR_FIELDS} } }`;
const REMOVE = `mutation($input: RemoveImageTemplateDatacentersInput!) { removeImageTemplateDatacenters(input: $input) { __typename ... on RemoveImageTemplateDatacentersPayload { locations { ${LOCATION} } } ${ERROR_FIELDS} } }`;
const LOCATIONS = `query($id: ID!) { node(id: $id) { ... on ImageTemplate { datacenters locations { ${LOCATION} } } } }`;
const CANCEL = `mutation($id: ID!) { cancelOperation(input: { id: $id }) { __typename ${ERROR_FIELDS} } }`;

describe("template locations", () => {
  let t: TestApp;
  let sourceId: string;
  let store: FaultyImageStore;
  /** Released at the end whatever happened, so that a failed test holds no other. */
  const gates: Gate[] = [];

  beforeAll(async () => {
    const dataDir = tempDataDir();
    store = new FaultyImageStore(path.join(dataDir, "store"), {});
    t = await startTestApp({ dataDir, env: { IMPRINT_MAX_CONCURRENT_OPERATIONS: "1" }, ports: { store } });
    sourceId = (await createActiveServer(t.client, { hostname: "loc01", os: "DEBIAN_12_64", volumes: [{ role: "BOOT", capacityGb: 2 }] })).id;
  });
  afterAll(async () => {
    for (const gate of gates) gate.release();
    await t?.stop();
  });

  const newTemplate = async (name: string) => (await captureTemplate(t.client, sourceId, name)).id;
  const deployInto = async (templateId: string, datacenter: string, hostname: string) =>
    (await t.client.query(DEPLOY, { input: { imageTemplateId: templateId, hostname, domain: "example.com", datacenter } })).deployImageTemplate;

  /** Fills the one runner slot with a capture held at its next chunk write, until `release`. */
  async function holdRunner(hostname: string) {
    const gate = new Gate();
    gates.push(gate);
    store.pauseNextPut(gate);
    const busy = await serverWithData(t, t.client, hostname, 16);
    const capture = (await t.client.query(CAPTURE, { input: { serverId: busy.id, name: `${hostname}-blocker` } })).captureImageTemplate;
    await gate.reached;
    return {
      async release() {
        gate.release();
        expect(await waitForOperation(t.client, capture.operation.id)).toMatchObject({ status: "SUCCEEDED" });
      },
    };
  }

  it("starts with the source's datacenter AVAILABLE", async () => {
    const templateId = await newTemplate("loc-first");
    expect((await t.client.query(LOCATIONS, { id: templateId })).node).toEqual({
      datacenters: ["dal10"],
      locations: [{ datacenter: "dal10", status: "AVAILABLE", copyOperation: null }],
    });
  });

  it("keeps a location COPYING and not deployable until its copy ran, answers it again without a second copy, then deploys there", async () => {
    const templateId = await newTemplate("loc-copying");
    const runner = await holdRunner("busy01");
    const added = (await t.client.query(ADD, { input: { id: templateId, datacenters: ["fra02", "dal10"] } })).addImageTemplateDatacenters;
    expect(added.operation.status).toBe("QUEUED");
    expect(added.locations).toEqual([
      { datacenter: "fra02", status: "COPYING", copyOperation: { id: added.operation.id, status: "QUEUED" } },
      { datacenter: "dal10", status: "AVAILABLE", copyOperation: null },
    ]);
    const refused = await deployInto(templateId, "fra02", "early01");
    expect(refused).toMatchObject({ __typename: "ValidationError", fields: [{ field: "datacenter", message: expect.stringMatching(/not available in fra02; it is in dal10/) }] });
    const again = (await t.client.query(ADD, { input: { id: templateId, datacenters: ["fra02"] } })).addImageTemplateDatacenters;
    expect(again).toMatchObject({ operation: null, locations: [{ datacenter: "fra02", status: "COPYING", copyOperation: { id: added.operation.id } }] });
    const removeCopying = (await t.client.query(REMOVE, { input: { id: templateId, datacenters: ["fra02"] } })).removeImageTemplateDatacenters;
    expect(removeCopying).toMatchObject({ __typename: "ConflictError", state: "COPYING" });

    await runner.release();
    expect(await waitForOperation(t.client, added.operation.id)).toMatchObject({ status: "SUCCEEDED" });
    expect((await t.client.query(LOCATIONS, { id: templateId })).node).toEqual({
      datacenters: ["dal10", "fra02"],
      locations: [
        { datacenter: "dal10", status: "AVAILABLE", copyOperation: null },
        { datacenter: "fra02", status: "AVAILABLE", copyOperation: null },
      ],
    });
    const deployed = await deployInto(templateId, "fra02", "there01");
    expect(await waitForOperation(t.client, deployed.operation.id)).toMatchObject({ status: "SUCCEEDED" });
  });

  it("leaves a cancelled copy's location FAILED and not deployable, and copies it anew when asked again", async () => {
    const templateId = await newTemplate("loc-cancelled");
    const runner = await holdRunner("busy02");
    const added = (await t.client.query(ADD, { input: { id: templateId, datacenters: ["tok05"] } })).addImageTemplateDatacenters;
    expect((await t.client.query(CANCEL, { id: added.operation.id })).cancelOperation.__typename).toBe("CancelOperationPayload");
    expect(await waitForOperation(t.client, added.operation.id)).toMatchObject({ status: "CANCELLED" });
    expect((await t.client.query(LOCATIONS, { id: templateId })).node).toEqual({
      datacenters: ["dal10"],
      locations: [
        { datacenter: "dal10", status: "AVAILABLE", copyOperation: null },
        { datacenter: "tok05", status: "FAILED", copyOperation: null },
      ],
    });
    expect(await deployInto(templateId, "tok05", "nothere01")).toMatchObject({ __typename: "ValidationError", fields: [{ field: "datacenter" }] });

    await runner.release();
    const retried = (await t.client.query(ADD, { input: { id: templateId, datacenters: ["tok05"] } })).addImageTemplateDatacenters;
    expect(retried.operation).not.toBeNull();
    expect(await waitForOperation(t.client, retried.operation.id)).toMatchObject({ status: "SUCCEEDED" });
    expect((await t.client.query(LOCATIONS, { id: templateId })).node.datacenters).toEqual(["dal10", "tok05"]);
  });

  it("drops locations, names one it does not have, and refuses to drop the last", async () => {
    const templateId = await newTemplate("loc-dropped");
    const added = (await t.client.query(ADD, { input: { id: templateId, datacenters: ["fra02", "tok05"] } })).addImageTemplateDatacenters;
    expect(await waitForOperation(t.client, added.operation.id)).toMatchObject({ status: "SUCCEEDED" });
    const unknown = (await t.client.query(REMOVE, { input: { id: templateId, datacenters: ["wdc07"] } })).removeImageTemplateDatacenters;
    expect(unknown).toMatchObject({ __typename: "ValidationError", fields: [{ field: "datacenters[0]", message: expect.stringMatching(/no location in wdc07/) }] });
    const dropped = (await t.client.query(REMOVE, { input: { id: templateId, datacenters: ["fra02", "tok05"] } })).removeImageTemplateDatacenters;
    expect(dropped.locations).toEqual([{ datacenter: "dal10", status: "AVAILABLE", copyOperation: null }]);
    expect(await deployInto(templateId, "fra02", "gone01")).toMatchObject({ __typename: "ValidationError", fields: [{ field: "datacenter" }] });
    const last = (await t.client.query(REMOVE, { input: { id: templateId, datacenters: ["dal10"] } })).removeImageTemplateDatacenters;
    expect(last).toMatchObject({ __typename: "ConflictError", state: "LAST_LOCATION" });
    expect((await t.client.query(LOCATIONS, { id: templateId })).node.datacenters).toEqual(["dal10"]);
  });
});
