// The volume driver port and its local implementation: one sparse raw file per volume
// under <data dir>/volumes, whose length is the volume's capacity.
import { execFile } from "node:child_process";
import { access, mkdir, open, rename, rm, type FileHandle } from "node:fs/promises";
import { promisify } from "node:util";
import path from "node:path";

export interface VolumeDriver {
  /** Creates an empty (all holes) volume of exactly capacityBytes; fails if it exists. */
  create(volumeId: string, capacityBytes: number): Promise<void>;
  open(volumeId: string, mode: "read" | "write"): Promise<FileHandle>;
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

const execFileAsync = promisify(execFile);

const SEEK_DATA_SCRIPT = `
import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
end = os.fstat(fd).st_size
position = 0
while position < end:
    try:
        start = os.lseek(fd, position, os.SEEK_DATA)
    except OSError:
        break
    stop = os.lseek(fd, start, os.SEEK_HOLE)
    print(start, stop)
    position = stop
`;

export class LocalVolumeDriver implements VolumeDriver {
  constructor(private readonly dir: string) {}

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

  async resize(volumeId: string, capacityBytes: number): Promise<void> {
    const handle = await this.open(volumeId, "write");
    try {
      await handle.truncate(capacityBytes);
    } finally {
      await handle.close();
    }
  }

  async exists(volumeId: string): Promise<boolean> {
    try {
      await access(this.pathOf(volumeId));
      return true;
    } catch {
      return false;
    }
  }

  async remove(volumeId: string): Promise<void> {
    await rm(this.pathOf(volumeId), { force: true });
  }

  /**
   * Node has no lseek(SEEK_DATA/SEEK_HOLE), and reading holes costs as much as reading data
   * here (a 20 GiB sparse file: a minute). python3, which every machine of this project has,
   * asks the file system; without it, null.
   */
  async dataExtents(volumeId: string): Promise<Array<[number, number]> | null> {
    try {
      const { stdout } = await execFileAsync("python3", ["-c", SEEK_DATA_SCRIPT, this.pathOf(volumeId)]);
      return stdout
        .split("\n")
        .filter(Boolean)
        .map((line) => line.split(" ").map(Number) as [number, number]);
    } catch {
      return null;
    }
  }

  async replace(fromId: string, toId: string): Promise<void> {
    await rename(this.pathOf(fromId), this.pathOf(toId));
  }
}
