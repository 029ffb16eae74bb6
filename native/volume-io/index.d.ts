/**
 * The byte ranges of a file that may hold data, as [start0, end0, start1, end1, ...]:
 * everything else is a hole that reads as zeros. Asks the file system with
 * lseek(SEEK_DATA/SEEK_HOLE) on a thread of the libuv pool. A file system that cannot tell
 * gets one range over the whole file: data is never reported as a hole.
 */
export function dataExtents(path: string): Promise<Float64Array>;

/**
 * Writes `data` at `position` of `fd`, a file opened with O_DIRECT, on a thread of the libuv
 * pool, through an aligned buffer (a JavaScript buffer is not aligned as O_DIRECT needs).
 * Every all-zero 64 KiB segment is left unwritten: only for a file that is all holes there.
 * `position` and `data.length` must be multiples of 4096 (a RangeError otherwise). Resolves
 * with the bytes written; fails as Node's fs does (`code`, `syscall`).
 */
export function writeDirect(fd: number, data: Uint8Array, position: number): Promise<number>;
