// Finding data in sparse volume files without reading holes (native/volume-io).
import { closeSync, ftruncateSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalVolumeDriver } from "../src/storage/volume-driver.ts";

const KIB = 1024;
let dir: string;
let driver: LocalVolumeDriver;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "imprint-sparse-"));
  driver = new LocalVolumeDriver(dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("LocalVolumeDriver.dataExtents", () => {
  it("lists 65,536 separate data ranges of a 1 GiB file exactly (more than any output limit of a helper process)", async () => {
    await driver.create("many", 1024 ** 3);
    const fd = openSync(driver.pathOf("many"), "r+");
    const block = Buffer.alloc(4 * KIB, 0xab);
    const written: number[] = [];
    for (let offset = 0; offset < 1024 ** 3; offset += 16 * KIB) {
      writeSync(fd, block, 0, block.length, offset);
      written.push(offset);
    }
    closeSync(fd);
    const extents = await driver.dataExtents("many");
    expect(written).toHaveLength(65_536);
    // Never data reported as a hole: every written block lies inside a range.
    let e = 0;
    for (const offset of written) {
      while (e < extents.length && extents[e][1] <= offset) e++;
      expect(e < extents.length && extents[e][0] <= offset && extents[e][1] >= offset + block.length).toBe(true);
    }
    // And the holes between them are found, not read as data.
    expect(extents).toHaveLength(65_536);
    expect(extents.reduce((sum, [start, end]) => sum + (end - start), 0)).toBe(65_536 * 4 * KIB);
  });

  it("finds no data in an empty sparse file and all of a full one, and names a missing file", async () => {
    await driver.create("empty", 64 * 1024 ** 2);
    expect(await driver.dataExtents("empty")).toEqual([]);
    await driver.create("full", 8 * KIB);
    const fd = openSync(driver.pathOf("full"), "r+");
    writeSync(fd, Buffer.alloc(8 * KIB, 1), 0, 8 * KIB, 0);
    ftruncateSync(fd, 8 * KIB);
    closeSync(fd);
    expect(await driver.dataExtents("full")).toEqual([[0, 8 * KIB]]);
    await expect(driver.dataExtents("missing")).rejects.toMatchObject({ code: "ENOENT" });
  });
});
