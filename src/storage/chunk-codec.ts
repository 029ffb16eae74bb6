// How the image store cuts, names and compresses data (DESIGN §4).
import { createHash } from "node:crypto";
import zstd from "zstd-napi";

/** Volumes are read in fixed 4 MiB chunks. */
export const CHUNK_SIZE = 4 * 1024 * 1024;
const ZSTD_LEVEL = 3;
const ZEROS = Buffer.alloc(CHUNK_SIZE);

export function sha256Hex(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** An all-zero chunk is not stored: it is a hole in the manifest. */
export function isAllZero(data: Buffer): boolean {
  return data.length <= CHUNK_SIZE ? data.equals(ZEROS.subarray(0, data.length)) : data.every((byte) => byte === 0);
}

export function compressChunk(data: Uint8Array): Buffer {
  return zstd.compress(data, { compressionLevel: ZSTD_LEVEL });
}

export function decompressChunk(data: Uint8Array): Buffer {
  return zstd.decompress(data);
}

export function zeroChunk(length: number): Buffer {
  return ZEROS.subarray(0, length);
}
