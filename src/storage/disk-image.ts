// Bootable disk images (the catalogue's IMPRINT_GUEST): copied onto a new boot volume, data
// ranges only, so the volume stays as sparse as the image.
import type { FileHandle } from "node:fs/promises";
import { open } from "node:fs/promises";
import { dataExtents } from "@imprint/volume-io";

const COPY_BUFFER_BYTES = 4 * 1024 * 1024;

/** Bytes of the image's data ranges: what a copy writes. */
export async function imageDataBytes(image: string): Promise<number> {
  const ranges = await dataExtents(image);
  let total = 0;
  for (let i = 0; i < ranges.length; i += 2) total += ranges[i + 1] - ranges[i];
  return total;
}

export async function copyImage(image: string, target: FileHandle, options: { signal: AbortSignal; onProgress(bytes: number): void }): Promise<void> {
  const source = await open(image, "r");
  try {
    const ranges = await dataExtents(image);
    const buffer = Buffer.allocUnsafe(COPY_BUFFER_BYTES);
    for (let i = 0; i < ranges.length; i += 2) {
      for (let offset = ranges[i]; offset < ranges[i + 1]; ) {
        options.signal.throwIfAborted();
        const { bytesRead } = await source.read(buffer, 0, Math.min(COPY_BUFFER_BYTES, ranges[i + 1] - offset), offset);
        if (bytesRead === 0) break;
        await target.write(buffer, 0, bytesRead, offset);
        offset += bytesRead;
        options.onProgress(bytesRead);
      }
    }
  } finally {
    await source.close();
  }
}
