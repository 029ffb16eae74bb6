// A real full disk: the data directory (database, volumes and image store) on a small tmpfs
// that the test mounts (root only; elsewhere the test is skipped and says why). A capture
// runs out of space; it must end FAILED with STORAGE_FULL, give the space back, restore the
// server, and the service must keep answering, also after the space is gone.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "./helpers/app.ts";
import { CAPTURE, createActiveServer, TEMPLATE, waitForOperation } from "./helpers/documents.ts";
import { checkInvariants, volumeChecksums } from "./helpers/invariants.ts";
import { rawId } from "./helpers/store.ts";

const MIB = 1024 * 1024;
const isRoot = process.getuid?.() === 0;

describe.skipIf(!isRoot)("a full file system under the data directory (tmpfs, needs root)", () => {
  let mountPoint: string;
  let t: TestApp;
  beforeAll(async () => {
    mountPoint = mkdtempSync(path.join(tmpdir(), "imprint-full-"));
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=112m", "tmpfs", mountPoint]);
    t = await startTestApp({ dataDir: path.join(mountPoint, "data") });
  });
  afterAll(async () => {
    await t?.stop();
    execFileSync("umount", [mountPoint]);
    rmSync(mountPoint, { recursive: true, force: true });
  });

  it("fails the capture with STORAGE_FULL, frees its chunks, restores the server, and keeps serving", async () => {
    const server = await createActiveServer(t.client, { hostname: "disk01", os: "DEBIAN_12_64", volumes: [{ role: "BOOT", capacityGb: 2 }, { role: "DATA", capacityGb: 1 }] });
    const data = (await t.app.domain.deps.db.volume.findMany({ where: { serverId: rawId(server.id), index: 1 } }))[0];
    const file = await open(t.app.domain.deps.volumes.pathOf(data.id), "r+");
    for (let i = 0; i < 16; i++) await file.write(randomBytes(4 * MIB), 0, 4 * MIB, i * 8 * MIB);
    await file.close();
    const before = await volumeChecksums(t.app, rawId(server.id));
    const free = () => Number(execFileSync("df", ["--output=avail", "-B1", mountPoint], { encoding: "utf8" }).split("\n")[1]);
    const freeBefore = free();

    const started = (await t.client.query(CAPTURE, { input: { serverId: server.id, name: "disk01-image" } })).captureImageTemplate;
    const final = await waitForOperation(t.client, started.operation.id);
    expect(final.status).toBe("FAILED");
    expect(final.error.code).toBe("STORAGE_FULL");
    expect(final.error.message).toMatch(/^(image store "local"|the database) is full/);
    expect(final.error.message).not.toContain(mountPoint);
    expect(final.server).toMatchObject({ status: "ACTIVE", powerState: "RUNNING" });
    expect((await t.client.query(TEMPLATE, { id: started.imageTemplate.id })).node.status).toBe("FAILED");
    expect(await volumeChecksums(t.app, rawId(server.id))).toEqual(before);
    // The space the capture took is given back: nothing is left in the store, and the file
    // system has what it had (less what the database's write-ahead log may keep, 4 MiB or so).
    const storeBytes = Number(execFileSync("du", ["-sb", path.join(t.dataDir, "store")], { encoding: "utf8" }).split("\t")[0]);
    expect(storeBytes).toBeLessThan(64 * 1024); // empty folders only
    expect(free()).toBeGreaterThan(freeBefore - 8 * MIB);
    expect(await checkInvariants(t.app, t.dataDir, t.url)).toEqual([]);

    // Mutations still answer (cancel of a finished operation: a typed conflict, not a hang).
    const cancel = (await t.client.query(`mutation($id: ID!) { cancelOperation(input: { id: $id }) { __typename ... on ConflictError { state } } }`, { id: started.operation.id })).cancelOperation;
    expect(cancel).toEqual({ __typename: "ConflictError", state: "FAILED" });
  });
});
