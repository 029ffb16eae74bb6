// How the image store cuts and names data (DESIGN §4); compression is in codec-pool.ts.
import { createHash } from "node:crypto";

/** Volumes are read in fixed 4 MiB chunks. */
export const CHUNK_SIZE = 4 * 1024 * 1024;
const ZEROS = Buffer.alloc(CHUNK_SIZE);

export function sha256Hex(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** An all-zero chunk is not stored: it is a hole in the manifest. */
export function isAllZero(data: Buffer): boolean {
  return data.length <= CHUNK_SIZE ? data.equals(ZEROS.subarray(0, data.length)) : data.every((byte) => byte === 0);
}

export function zeroChunk(length: number): Buffer {
  return ZEROS.subarray(0, length);
}
