// How the image store cuts and names data; compression is in codec-pool.ts.
/** Volumes are read in fixed 4 MiB chunks. */
export const CHUNK_SIZE = 4 * 1024 * 1024;
const ZEROS = Buffer.alloc(CHUNK_SIZE);

/** An all-zero chunk is not stored: it is a hole in the manifest. */
export function isAllZero(data: Buffer): boolean {
  return data.length <= CHUNK_SIZE ? data.equals(ZEROS.subarray(0, data.length)) : data.every((byte) => byte === 0);
}
