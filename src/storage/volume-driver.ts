// The volume driver port and its local implementation: one sparse raw file per volume
// under <data dir>/volumes, whose length is the volume's capacity.
import { mkdir, open, rename, rm, type FileHandle } from "node:fs/promises";
import path from "node:path";
import { pathExists } from "./files.ts";
import { dataExtents } from "@imprint/volume-io";
import { openVolumeWriter, type VolumeWriter } from "./volume-writer.ts";

export interface VolumeDriver {
  /** Creates an empty (all holes) volume of exactly capacityBytes; fails if it exists. */
  create(volumeId: string, capacityBytes: number): Promise<void>;
  open(volumeId: string, mode: "read" | "write"): Promise<FileHandle>;
  /** Opens a volume just created (all holes) to be filled with a restore's data (VolumeWriter). */
  openWriter(volumeId: string): Promise<VolumeWriter>;
  /** Sets the logical length, keeping the data in front; growing adds holes. */
  resize(volumeId: string, capacityBytes: number): Promise<void>;
  exists(volumeId: string): Promise<boolean>;
  /** Idempotent: removing a missing volume is not an error. */
  remove(volumeId: string): Promise<void>;
  /** Atomically puts volume `fromId` in the place of `toId`, replacing it. */
  replace(fromId: string, toId: string): Promise<void>;
  /**
   * The [start, end) byte ranges that may hold data; everything else is a hole that reads as
   * zeros. Null when the driver cannot tell (then every byte must be read).
   */
  dataExtents(volumeId: string): Promise<Array<[number, number]> | null>;
  pathOf(volumeId: string): string;
}

export class LocalVolumeDriver implements VolumeDriver {
  private readonly dir: string;
  constructor(dir: string) {
    this.dir = dir;
  }

  pathOf(volumeId: string): string {
    if (!/^[A-Za-z0-9_-]+$/.test(volumeId)) throw new Error(`invalid volume id ${volumeId}`);
    return path.join(this.dir, `${volumeId}.raw`);
  }

  async create(volumeId: string, capacityBytes: number): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const handle = await open(this.pathOf(volumeId), "wx");
    try {
      await handle.truncate(capacityBytes);
    } finally {
      await handle.close();
    }
  }

  open(volumeId: string, mode: "read" | "write"): Promise<FileHandle> {
    return open(this.pathOf(volumeId), mode === "read" ? "r" : "r+");
  }

  openWriter(volumeId: string): Promise<VolumeWriter> {
    return openVolumeWriter(this.pathOf(volumeId));
  }

  async resize(volumeId: string, capacityBytes: number): Promise<void> {
    const handle = await this.open(volumeId, "write");
    try {
      await handle.truncate(capacityBytes);
    } finally {
      await handle.close();
    }
  }

  exists(volumeId: string): Promise<boolean> {
    return pathExists(this.pathOf(volumeId));
  }

  async remove(volumeId: string): Promise<void> {
    await rm(this.pathOf(volumeId), { force: true });
  }

  /**
   * Node has no lseek(SEEK_DATA/SEEK_HOLE), and reading holes costs as much as reading data
   * (a 20 GiB sparse file: a minute). A small addon built at install asks the file system
   * (native/volume-io); where it cannot tell, the whole file is one range.
   */
  async dataExtents(volumeId: string): Promise<Array<[number, number]>> {
    const flat = await dataExtents(this.pathOf(volumeId));
    const ranges: Array<[number, number]> = [];
    for (let i = 0; i < flat.length; i += 2) ranges.push([flat[i], flat[i + 1]]);
    return ranges;
  }

  async replace(fromId: string, toId: string): Promise<void> {
    await rename(this.pathOf(fromId), this.pathOf(toId));
  }
}
