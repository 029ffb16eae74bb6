// How a restore fills a volume just created: around the page cache where the file system
// allows it (O_DIRECT), all-zero blocks left as the holes they already are.
import { constants } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";
import { writeDirect } from "@imprint/volume-io";

export interface VolumeWriter {
  /**
   * Writes `data` at `position`. The volume must be all holes where it is written: all-zero
   * blocks may be left unwritten, as they read as zeros already. Writes at different
   * positions may run at once; `data` must stay untouched until the write settles.
   */
  write(data: Uint8Array, position: number): Promise<void>;
  /** Makes every write that has settled durable (data and the file's allocation). */
  finish(): Promise<void>;
  /** Lets go of the file; call once every write has settled. */
  close(): Promise<void>;
  /** Whether writes bypass the page cache (false where the file system refuses O_DIRECT). */
  readonly direct: boolean;
}

const DIRECT_ALIGNMENT = 4096;

/**
 * Buffered writes of a restore took a page of the page cache for every 4 KiB, and on a virtual
 * machine whose host takes freed memory back, each such page cost the host a fault: the same
 * deploy took 1.1 s or 3 s (docs/decisions/capture-restore-speed.md). Data the API server
 * never reads again goes to the disk directly, as QEMU's cache=none and `qemu-img convert -t none`
 * do. What O_DIRECT cannot take (a tail not a multiple of 4 KiB) goes through the page cache.
 */
export async function openVolumeWriter(file: string, options: { direct?: boolean } = {}): Promise<VolumeWriter> {
  const buffered = await open(file, "r+");
  let direct: FileHandle | null = null;
  if (options.direct !== false) {
    try {
      direct = await open(file, constants.O_RDWR | constants.O_DIRECT);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EINVAL") {
        await buffered.close();
        throw error;
      }
    }
  }
  return {
    direct: direct !== null,
    async write(data, position) {
      if (direct && position % DIRECT_ALIGNMENT === 0 && data.length % DIRECT_ALIGNMENT === 0) await writeDirect(direct.fd, data, position);
      else await buffered.write(data, 0, data.length, position);
    },
    // fdatasync on one descriptor flushes the whole file: the buffered tail, the device's cache
    // behind the direct writes, and the extents they allocated.
    finish: () => buffered.datasync(),
    async close() {
      await Promise.all([buffered.close(), direct?.close()]);
    },
  };
}
