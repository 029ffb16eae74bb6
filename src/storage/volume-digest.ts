// A volume's digest that costs nothing for its holes: SHA-256 over a header and the ordered
// list of its chunks' SHA-256 digests, where a hole (an all-zero chunk) stands as 32 zero
// bytes. Two volumes have the same digest exactly when they hold the same bytes, and a
// capture or restore never hashes a hole byte by byte. The format is in
// docs/manifest-format.md; `npm run verify-volume` checks a raw file against it.
import { createHash } from "node:crypto";
import { open } from "node:fs/promises";
import { dataExtents } from "@imprint/volume-io";
import { CHUNK_SIZE, isAllZero } from "./chunk-codec.ts";
import { readFully } from "./files.ts";

export const VOLUME_DIGEST_NAME = "imprint-volume-sha256-v1";
/** 32 zero bytes per hole, fed in runs of up to 4096 holes. */
const HOLE_RUN = Buffer.alloc(32 * 4096);

/** [chunkIndex, sha256 hex] of every non-zero chunk, in ascending order; other indexes are holes. */
export type ChunkList = ReadonlyArray<readonly [number, string]>;

export function chunkCount(lengthBytes: number): number {
  return Math.ceil(lengthBytes / CHUNK_SIZE);
}

export function volumeDigest(lengthBytes: number, chunks: ChunkList): string {
  const hash = createHash("sha256");
  const header = Buffer.alloc(VOLUME_DIGEST_NAME.length + 1 + 8 + 4);
  header.write(VOLUME_DIGEST_NAME, 0, "ascii");
  header.writeBigUInt64BE(BigInt(lengthBytes), VOLUME_DIGEST_NAME.length + 1);
  header.writeUInt32BE(CHUNK_SIZE, VOLUME_DIGEST_NAME.length + 9);
  hash.update(header);
  let next = 0;
  const holesUntil = (index: number) => {
    while (next < index) {
      const run = Math.min(index - next, HOLE_RUN.length / 32);
      hash.update(HOLE_RUN.subarray(0, run * 32));
      next += run;
    }
  };
  for (const [index, chunkHash] of chunks) {
    if (index < next || index >= chunkCount(lengthBytes)) throw new Error(`chunk index ${index} out of order or past the volume's end`);
    holesUntil(index);
    hash.update(Buffer.from(chunkHash, "hex"));
    next = index + 1;
  }
  holesUntil(chunkCount(lengthBytes));
  return hash.digest("hex");
}

/**
 * The chunk list of a raw file as a capture would record it, reading only the ranges the
 * file system says may hold data.
 */
export async function chunkListOfFile(file: string): Promise<{ lengthBytes: number; chunks: Array<[number, string]> }> {
  const handle = await open(file, "r");
  try {
    const { size } = await handle.stat();
    const flat = await dataExtents(file);
    const buffer = Buffer.allocUnsafe(CHUNK_SIZE);
    const chunks: Array<[number, string]> = [];
    let last = -1;
    for (let e = 0; e < flat.length; e += 2) {
      const first = Math.max(Math.floor(flat[e] / CHUNK_SIZE), last + 1);
      const end = Math.min(Math.ceil(flat[e + 1] / CHUNK_SIZE), chunkCount(size));
      for (let index = first; index < end; index++) {
        const chunk = await readFully(handle, buffer, Math.min(CHUNK_SIZE, size - index * CHUNK_SIZE), index * CHUNK_SIZE);
        if (!isAllZero(chunk)) chunks.push([index, createHash("sha256").update(chunk).digest("hex")]);
        last = index;
      }
    }
    return { lengthBytes: size, chunks };
  } finally {
    await handle.close();
  }
}

export async function fileVolumeDigest(file: string): Promise<string> {
  const { lengthBytes, chunks } = await chunkListOfFile(file);
  return volumeDigest(lengthBytes, chunks);
}
