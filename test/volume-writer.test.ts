// Filling a new volume as a restore does (src/storage/volume-writer.ts): around the page cache
// through native/volume-io, all-zero blocks left as holes, an unaligned tail through the page
// cache; and the buffered way, for file systems that refuse O_DIRECT.
import { readFileSync, rmSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalVolumeDriver } from "../src/storage/volume-driver.ts";
import { openVolumeWriter } from "../src/storage/volume-writer.ts";

const KIB = 1024;
const MIB = 1024 * KIB;
let dir: string;
let driver: LocalVolumeDriver;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "imprint-writer-"));
  driver = new LocalVolumeDriver(dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** 4 MiB with data in its first 100 bytes and at 3 MiB, zeros elsewhere. */
function chunk(fill: number): Buffer {
  const bytes = Buffer.alloc(4 * MIB);
  bytes.fill(fill, 0, 100);
  bytes.fill(fill + 1, 3 * MIB, 3 * MIB + 70 * KIB);
  return bytes;
}

describe("a volume writer", () => {
  it("writes chunks at once at their places around the page cache, leaving their all-zero 64 KiB blocks as holes", async () => {
    await driver.create("direct", 12 * MIB);
    const writer = await driver.openWriter("direct");
    try {
      expect(writer.direct).toBe(true);
      // As a restore: the second and third chunks written at once, the first not at all.
      await Promise.all([writer.write(chunk(1), 4 * MIB), writer.write(chunk(3), 8 * MIB)]);
      await writer.finish();
    } finally {
      await writer.close();
    }
    const file = readFileSync(driver.pathOf("direct"));
    expect(file.subarray(0, 4 * MIB).equals(Buffer.alloc(4 * MIB))).toBe(true);
    expect(file.subarray(4 * MIB, 8 * MIB).equals(chunk(1))).toBe(true);
    expect(file.subarray(8 * MIB).equals(chunk(3))).toBe(true);
    // Data in the 64 KiB blocks that hold it (the second run spans two), holes around them.
    expect(await driver.dataExtents("direct")).toEqual([
      [4 * MIB, 4 * MIB + 64 * KIB],
      [7 * MIB, 7 * MIB + 128 * KIB],
      [8 * MIB, 8 * MIB + 64 * KIB],
      [11 * MIB, 11 * MIB + 128 * KIB],
    ]);
  });

  it("writes a last chunk that is not a multiple of 4 KiB through the page cache, and reads back every byte", async () => {
    const length = 4 * MIB + 1000;
    await driver.create("tail", length);
    const tail = Buffer.alloc(1000, 0x5a);
    const writer = await driver.openWriter("tail");
    try {
      await writer.write(chunk(7), 0);
      await writer.write(tail, 4 * MIB);
      await writer.finish();
    } finally {
      await writer.close();
    }
    expect(readFileSync(driver.pathOf("tail")).equals(Buffer.concat([chunk(7), tail]))).toBe(true);
  });

  it("without O_DIRECT writes every byte through the page cache, zeros included", async () => {
    await driver.create("buffered", 8 * MIB);
    const writer = await openVolumeWriter(driver.pathOf("buffered"), { direct: false });
    try {
      expect(writer.direct).toBe(false);
      await writer.write(chunk(9), 4 * MIB);
      await writer.finish();
    } finally {
      await writer.close();
    }
    const file = readFileSync(driver.pathOf("buffered"));
    expect(file.subarray(4 * MIB).equals(chunk(9))).toBe(true);
    expect(await driver.dataExtents("buffered")).toEqual([[4 * MIB, 8 * MIB]]);
  });
});
